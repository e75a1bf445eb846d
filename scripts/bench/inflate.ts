/**
 * The fleet's gzip decoding: its lean inflater against node:zlib's Gunzip (4 KB chunks, as the fleet used it
 * before), on bodies shaped like a sync stream's — lines sync-flushed one by one.
 * - memory: N decoders each fed an idle client's first sync (~2 KB of lines), RSS growth per decoder;
 * - time: one body of 2,000 flushed lines (~1 MB decoded) pushed chunk by chunk, µs per line;
 * - fan-out: N streams each receiving, per change, the chunk the reference service's GzipSegments writes (a
 *   fresh raw deflater per event-loop turn: its own Huffman block), CPU ms per change over 10 changes.
 * Medians of 3 (memory, fan-out) and 7 (time) runs in one process, and the ratio lean/native.
 * Usage: npm run bench:inflate [-- --streams 5000]
 */
import type http from 'node:http';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { bodyDecoderFor } from '../../src/fleet/index.js';
import { GzipSegments } from '../../src/service/api/http/gzip-segments.js';
import { median } from './support/index.js';

const { values: args } = parseArgs({ options: { streams: { type: 'string', default: '5000' } } });
const STREAMS = Number(args.streams);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function line(i: number): string {
  return JSON.stringify({
    data: {
      bucket: i % 3 === 0 ? 'global[]' : `by_user["u${i % 97}"]`,
      after: null,
      has_more: false,
      next_after: null,
      data: [
        {
          op_id: String(i + 1),
          op: 'PUT',
          object_type: i % 3 === 0 ? 'lists' : 'todos',
          object_id: `row-${i}`,
          data: JSON.stringify({ id: `row-${i}`, title: `Item ${i}`, done: i % 2 === 0 }),
          checksum: (i * 2654435761) >>> 0,
        },
      ],
    },
  });
}

/** A gzip body with a sync flush after every line; its chunks as the server writes them. */
async function flushedChunks(lines: string[]): Promise<Buffer[]> {
  const gzip = zlib.createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  for (const text of lines) {
    gzip.write(text + '\n');
    await new Promise<void>((resolve) => gzip.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
  }
  await new Promise<void>((resolve) => gzip.end(() => resolve()));
  await new Promise((resolve) => setImmediate(resolve));
  return chunks;
}

interface Decoder {
  push(chunk: Buffer): void;
  /** Resolves once every decoded byte has been delivered. */
  end(): Promise<void>;
}

function leanDecoder(onBytes: (n: number) => void): Decoder {
  const decoder = bodyDecoderFor('gzip', {
    onData: (bytes) => onBytes(bytes.length),
    onError: (error) => {
      throw error;
    },
  })!;
  return {
    push: (chunk) => decoder.push(chunk),
    end: () => new Promise((resolve) => decoder.end(resolve)),
  };
}

function nativeDecoder(onBytes: (n: number) => void): Decoder {
  const gunzip = zlib.createGunzip({ chunkSize: 4096 });
  gunzip.on('data', (bytes: Buffer) => onBytes(bytes.length));
  return {
    push: (chunk) => gunzip.write(chunk),
    end: () =>
      new Promise((resolve) => {
        gunzip.once('end', resolve);
        gunzip.end();
      }),
  };
}

const settle = async () => {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc();
};

/** RSS growth per decoder holding an idle client's first sync. */
async function memoryPerDecoder(make: typeof leanDecoder, chunks: Buffer[]): Promise<number> {
  await settle();
  const before = process.memoryUsage().rss;
  const held: Decoder[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const decoder = make(() => undefined);
    for (const chunk of chunks) decoder.push(chunk);
    held.push(decoder);
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  await settle();
  const perDecoder = (process.memoryUsage().rss - before) / 1024 / STREAMS;
  held.length = 0;
  return perDecoder;
}

/** µs per flushed line to decode a long body, pushing chunk by chunk. */
async function microsPerLine(make: typeof leanDecoder, chunks: Buffer[], lines: number): Promise<number> {
  let decoded = 0;
  const started = process.hrtime.bigint();
  const decoder = make((n) => (decoded += n));
  for (const chunk of chunks) decoder.push(chunk);
  await decoder.end();
  const micros = Number(process.hrtime.bigint() - started) / 1000;
  if (decoded === 0) throw new Error('nothing decoded');
  return micros / lines;
}

const CHANGES = 10;

/**
 * What the reference service writes to one gzip stream for each change (its own GzipSegments, into a stand-in
 * response): checkpoint_diff, data and checkpoint_complete; the first chunk carries the gzip header. With the
 * decoded size of each.
 */
function serviceChunks(changes: number): Array<{ chunk: Buffer; plainBytes: number }> {
  const written: Buffer[] = [];
  const response = {
    destroyed: false,
    writableNeedDrain: false,
    write: (chunk: Buffer) => written.push(chunk),
  };
  const segments = new GzipSegments(response as unknown as http.ServerResponse, () => undefined);
  return Array.from({ length: changes }, (_, change) => {
    const op = String(1000 + change);
    const text = [
      JSON.stringify({
        checkpoint_diff: {
          last_op_id: op,
          updated_buckets: [{ bucket: 'global[]', checksum: change, count: 5 }],
        },
      }),
      line(change),
      JSON.stringify({ checkpoint_complete: { last_op_id: op } }),
    ]
      .map((l) => l + '\n')
      .join('');
    segments.write(Buffer.from(text), true);
    return { chunk: written.at(-1)!, plainBytes: text.length };
  });
}

/** CPU ms per change when STREAMS decoders each get one chunk per change (until all of it is delivered). */
async function fanOutCpuPerChange(make: typeof leanDecoder): Promise<number> {
  const [first, ...changes] = serviceChunks(CHANGES + 1);
  let decoded = 0;
  const decoders = Array.from({ length: STREAMS }, () => make((n) => (decoded += n)));
  // The first change (with the gzip header) is not measured.
  for (const decoder of decoders) decoder.push(first!.chunk);
  while (decoded < STREAMS * first!.plainBytes) await new Promise((resolve) => setImmediate(resolve));
  await settle();
  const expected = decoded + STREAMS * changes.reduce((sum, c) => sum + c.plainBytes, 0);
  const before = process.cpuUsage();
  for (const { chunk } of changes) {
    for (const decoder of decoders) decoder.push(chunk);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  while (decoded < expected) await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / CHANGES;
}

const firstSync = await flushedChunks(Array.from({ length: 9 }, (_, i) => line(i)));
const longLines = Array.from({ length: 2000 }, (_, i) => line(i));
const longBody = await flushedChunks(longLines);

const memory = { lean: [] as number[], native: [] as number[] };
for (let run = 0; run < 3; run++) {
  memory.lean.push(await memoryPerDecoder(leanDecoder, firstSync));
  memory.native.push(await memoryPerDecoder(nativeDecoder, firstSync));
}
const time = { lean: [] as number[], native: [] as number[] };
for (let run = 0; run < 7; run++) {
  time.lean.push(await microsPerLine(leanDecoder, longBody, longLines.length));
  time.native.push(await microsPerLine(nativeDecoder, longBody, longLines.length));
}

const fanOut = { lean: [] as number[], native: [] as number[] };
for (let run = 0; run < 3; run++) {
  fanOut.lean.push(await fanOutCpuPerChange(leanDecoder));
  fanOut.native.push(await fanOutCpuPerChange(nativeDecoder));
}

const plainFirst = firstSync.reduce((sum, c) => sum + c.length, 0);
console.log(
  `gzip decoding of sync-flushed lines (node ${process.version}); first sync ${plainFirst} bytes compressed, long body ${longLines.length} lines`,
);
const row = (name: string, lean: number, native: number, unit: string) =>
  console.log(
    `  ${name.padEnd(30)} lean ${lean.toFixed(2).padStart(7)} ${unit}   node:zlib ${native.toFixed(2).padStart(7)} ${unit}   lean/native ${(lean / native).toFixed(2)}`,
  );
row(`RSS per idle decoder (${STREAMS})`, median(memory.lean), median(memory.native), 'KB');
row('decode time per flushed line', median(time.lean), median(time.native), 'µs');
row(`CPU per change, fan-out to ${STREAMS}`, median(fanOut.lean), median(fanOut.native), 'ms');
console.log('  (medians: memory and fan-out of 3 runs, time of 7 runs, in one process)');
