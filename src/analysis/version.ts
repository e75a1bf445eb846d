import { readFileSync } from 'node:fs';

/** This package's version, named in every sizing output next to the service it measured. */
export const SYNCSCALE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
