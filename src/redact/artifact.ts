import fs from 'node:fs';
import { Transform, type Writable } from 'node:stream';
import { redactor } from './redactor.js';

/** Writes a text artifact, redacted. */
export function writeArtifact(file: string, text: string): void {
  fs.writeFileSync(file, redactor.text(text));
}

export async function writeArtifactAsync(file: string, text: string): Promise<void> {
  await fs.promises.writeFile(file, redactor.text(text));
}

/** JSON of a value, redacted (secret slots by key, then every string as text). */
export function redactedJson(value: unknown, replacer?: (key: string, value: unknown) => unknown): string {
  const plain = JSON.parse(JSON.stringify(value, replacer as never) ?? 'null') as unknown;
  return redactor.text(JSON.stringify(redactor.value(plain), null, 2));
}

/**
 * A line-buffered redacting stream in front of `out` (e.g. run.log, which also receives the service
 * processes' output): a secret split across two chunks is still found, because only whole lines pass.
 */
export function redactingStream(out: Writable): Transform {
  let partial = '';
  const stream = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const text = partial + chunk.toString();
      const cut = text.lastIndexOf('\n');
      if (cut < 0) {
        partial = text;
        // A line without end over 64 KiB is let through rather than held forever.
        if (partial.length > 65_536) {
          done(null, redactor.text(partial));
          partial = '';
          return;
        }
        done();
        return;
      }
      partial = text.slice(cut + 1);
      done(null, redactor.text(text.slice(0, cut + 1)));
    },
    flush(done) {
      done(null, partial ? redactor.text(partial) : undefined);
    },
  });
  stream.pipe(out);
  return stream;
}
