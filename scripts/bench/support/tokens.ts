/** Tokens the benchmark clients present: HS256, audience `syncscale`, one hour. */
import { mintToken } from '../../../src/protocol/index.js';

export const AUDIENCE = 'syncscale';

export function tokenFor(sub: string, key: { k: string; kid: string }): Promise<string> {
  return mintToken({ key, sub, audience: AUDIENCE, lifetimeSeconds: 3600 });
}
