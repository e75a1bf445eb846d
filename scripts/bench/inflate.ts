/**
 * The fleet's gzip decoding: its lean inflater against node:zlib's Gunzip (4 KB chunks, as the fleet used it
 * before), on bodies shaped like a sync stream's — lines sync-flushed one by one.
 * - memory: N decoders each fed an idle client's first sync (~2 KB of lines), RSS growth per decoder;
 * - time: one body of 2,000 flushed lines (~1 MB decoded) pushed chunk by chunk, µs per line;
 * - fan-out: N streams each receiving one segment per change as the reference service writes them (a fresh
 *   raw deflater per event-loop turn: its own dynamic Huffman block), CPU ms per change over 10 changes;
 * - a PowerSync-shaped body (one gzip stream, 32 KiB window) and ours (independent segments) both decode.
 * Medians of 3 (memory) and 7 (time) runs in one process, and the ratio lean/native.
 * Usage: npm run bench:inflate [-- --streams 5000]
 */
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { bodyDecoderFor } from '../../src/fleet/index.js';
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

/** One change's segment as the service's GzipSegments writes it: checkpoint_diff, data, checkpoint_complete. */
function serviceSegment(change: number): Buffer {
  const op = String(1000 + change);
  const lines = [
    {
      checkpoint_diff: {
        last_op_id: op,
        updated_buckets: [{ bucket: 'global[]', checksum: change, count: 5 }],
      },
    },
    JSON.parse(line(change)),
    { checkpoint_complete: { last_op_id: op } },
  ];
  return zlib.deflateRawSync(lines.map((l) => JSON.stringify(l) + '\n').join(''), {
    level: 6,
    windowBits: 12,
    memLevel: 5,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
}
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
const CHANGES = 10;

/** CPU ms per change when STREAMS decoders each get one segment per change (time until all is delivered). */
async function fanOutCpuPerChange(make: typeof leanDecoder): Promise<number> {
  const segments = Array.from({ length: CHANGES }, (_, i) => serviceSegment(i));
  const expected =
    STREAMS *
    segments.reduce(
      (sum, seg) => sum + zlib.inflateRawSync(seg, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length,
      0,
    );
  let decoded = 0;
  const decoders = Array.from({ length: STREAMS }, () => make((n) => (decoded += n)));
  for (const decoder of decoders) decoder.push(GZIP_HEADER);
  await settle();
  const before = process.cpuUsage();
  for (const segment of segments) {
    for (const decoder of decoders) decoder.push(segment);
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
