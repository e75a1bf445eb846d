/* eslint-disable @typescript-eslint/no-explicit-any -- benchmark lines are inspected loosely */
/**
 * Fleet per-message cost: decoding NDJSON / BSON sync lines and applying them with full checksum
 * validation, in one process, without a network (the client-side work per message at load).
 * Usage: npm run bench:fleet-messages
 */
import {
  BsonStreamDecoder,
  encodeBsonLine,
  encodeNdjsonLine,
  NdjsonDecoder,
  putChecksum,
  toInt32,
} from '../../src/protocol/index.js';
import { SyncState } from '../../src/fleet/index.js';

const OPS_PER_DATA_LINE = Number(process.argv[2] ?? 10);
const CHECKPOINTS = 5_000;
const RUNS = 5;

/** One checkpoint's lines: a diff of one bucket, a data line with ops, the complete. */
function buildStream(): object[] {
  const lines: object[] = [];
  let opId = 1;
  let checksum = 0;
  const bucket = '1#by_user["user1"]';
  lines.push({
    checkpoint: { last_op_id: '0', buckets: [{ bucket, checksum: 0, count: 0, priority: 3 }], streams: [] },
  });
  lines.push({ checkpoint_complete: { last_op_id: '0' } });
  for (let c = 0; c < CHECKPOINTS; c++) {
    const ops = [];
    for (let i = 0; i < OPS_PER_DATA_LINE; i++) {
      const id = `row${(c * OPS_PER_DATA_LINE + i) % 500}`;
      const data = JSON.stringify({
        id,
        owner_id: 'user1',
        payload: 'x'.repeat(100),
        ss_ts: 1700000000000 + c,
      });
      const sum = putChecksum('todos', id, data);
      ops.push({
        op_id: String(opId++),
        op: 'PUT',
        object_type: 'todos',
        object_id: id,
        subkey: `s-${id}`,
        data,
        checksum: sum,
      });
    }
    // The server's bucket checksum is the wrapping sum of every op ever sent (superseded ones included).
    for (const op of ops) checksum = (checksum + op.checksum) >>> 0;
    const last = String(opId - 1);
    lines.push({
      checkpoint_diff: {
        last_op_id: last,
        updated_buckets: [{ bucket, checksum: toInt32(checksum), count: opId - 1, priority: 3 }],
        removed_buckets: [],
      },
    });
    lines.push({
      data: {
        bucket,
        after: String(opId - 1 - OPS_PER_DATA_LINE),
        next_after: last,
        has_more: false,
        data: ops,
      },
    });
    lines.push({ checkpoint_complete: { last_op_id: last } });
  }
  return lines;
}

function apply(state: SyncState, line: Record<string, any>): void {
  if (line.checkpoint) state.applyCheckpoint(line.checkpoint);
  else if (line.checkpoint_diff) state.applyDiff(line.checkpoint_diff);
  else if (line.data) state.applyData(line.data);
  else if (line.checkpoint_complete) {
    const outcome = state.complete(line.checkpoint_complete.last_op_id);
    if (outcome.failed.length > 0)
      throw new Error(`checksum failure in the benchmark stream: ${JSON.stringify(outcome)}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const lines = buildStream();
const ndjson = Buffer.from(lines.map((l) => encodeNdjsonLine(l)).join(''));
const bson = Buffer.concat(lines.map((l) => encodeBsonLine(l)));
const results: Record<string, number[]> = { ndjson: [], bson: [] };
for (let run = 0; run < RUNS; run++) {
  for (const format of ['ndjson', 'bson'] as const) {
    const state = new SyncState();
    const started = process.hrtime.bigint();
    const decoder =
      format === 'ndjson'
        ? new NdjsonDecoder<Record<string, any>>()
        : new BsonStreamDecoder<Record<string, any>>();
    const payload = format === 'ndjson' ? ndjson : bson;
    // 64 KiB socket-sized chunks, as the network delivers them.
    for (let offset = 0; offset < payload.length; offset += 65_536) {
      for (const line of decoder.push(payload.subarray(offset, offset + 65_536))) apply(state, line);
    }
    results[format]!.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
}
const messages = lines.length;
const ops = CHECKPOINTS * OPS_PER_DATA_LINE;
console.log(
  `fleet per-message cost: ${messages} messages (${ops} ops, ${OPS_PER_DATA_LINE} per data line), median of ${RUNS} runs`,
);
for (const [format, runs] of Object.entries(results)) {
  const us = median(runs);
  console.log(
    `  ${format.padEnd(6)} ${(us / messages).toFixed(2)} µs/message, ${(us / ops).toFixed(2)} µs/op (decode + apply + checksum validation)`,
  );
}
