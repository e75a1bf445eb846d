import http from 'node:http';
import { addChecksums, normaliseChecksum } from '../../src/protocol/index.js';

// Protocol lines are loosely typed on purpose: tests reach into whatever kind of line arrives.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = Record<string, any>;

/**
 * A minimal protocol client for tests: one NDJSON sync stream over a real socket, with lines queued for
 * `next()`. The load-generating fleet has its own, fuller client; this one stays small and obvious.
 */
export class TestStream {
  readonly lines: Line[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  ended = false;
  body = '';
  private waiters: Array<() => void> = [];
  private readonly request: http.ClientRequest;
  readonly opened: Promise<void>;

  constructor(
    endpoint: string,
    token: string | undefined,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const url = new URL('/sync/stream', endpoint);
    this.request = http.request(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Token ${token}` } : {}),
        ...headers,
      },
    });
    this.opened = new Promise((resolve, reject) => {
      this.request.on('error', (error) => {
        this.ended = true;
        this.wakeAll();
        reject(error);
      });
      this.request.on('response', (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        resolve();
        let partial = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.body += chunk;
          const parts = (partial + chunk).split('\n');
          partial = parts.pop()!;
          for (const part of parts) if (part.trim()) this.lines.push(JSON.parse(part));
          this.wakeAll();
        });
        const finish = () => {
          this.ended = true;
          this.wakeAll();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
    });
    this.request.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  /** Waits for a line matching the predicate (searching from `from`), returning its index. */
  async waitFor(predicate: (line: Line) => boolean, timeoutMs = 15_000, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((line, i) => i >= from && predicate(line));
      if (index >= 0) return index;
      if (this.ended)
        throw new Error(`stream ended without the expected line; got ${JSON.stringify(this.lines)}`);
      if (Date.now() > deadline)
        throw new Error(`timed out; lines so far ${JSON.stringify(this.lines).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async waitForEnd(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.request.destroy();
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/**
 * Applies sync lines like the SDKs' sync core and validates every bucket's checksum at each
 * `checkpoint_complete` (protocol.md §1.7: sum of stored ops plus add_checksum, CLEAR resets).
 */
export class ClientState {
  readonly rows = new Map<string, Map<string, string>>();
  private readonly ops = new Map<string, Map<string, { checksum: number }>>();
  private readonly added = new Map<string, number>();
  private expected = new Map<string, { checksum: number; count: number }>();
  readonly positions = new Map<string, string>();
  checkpoint: string | undefined;
  writeCheckpoint: string | undefined;
  completed: string[] = [];

  apply(line: Line): void {
    if (line.checkpoint) {
      this.expected = new Map(line.checkpoint.buckets.map((b: Line) => [b.bucket, b]));
      this.checkpoint = line.checkpoint.last_op_id;
      this.writeCheckpoint = line.checkpoint.write_checkpoint ?? this.writeCheckpoint;
      for (const bucket of [...this.rows.keys()]) if (!this.expected.has(bucket)) this.dropBucket(bucket);
    } else if (line.checkpoint_diff) {
      for (const b of line.checkpoint_diff.updated_buckets) this.expected.set(b.bucket, b);
      for (const name of line.checkpoint_diff.removed_buckets) {
        this.expected.delete(name);
        this.dropBucket(name);
      }
      this.checkpoint = line.checkpoint_diff.last_op_id;
      this.writeCheckpoint = line.checkpoint_diff.write_checkpoint ?? this.writeCheckpoint;
    } else if (line.data) {
      const { bucket } = line.data;
      const rows = this.rows.get(bucket) ?? new Map<string, string>();
      const ops = this.ops.get(bucket) ?? new Map<string, { checksum: number }>();
      this.rows.set(bucket, rows);
      this.ops.set(bucket, ops);
      for (const op of line.data.data) {
        const checksum = normaliseChecksum(op.checksum);
        const key = `${op.object_type}/${op.object_id}/${op.subkey}`;
        if (op.op === 'PUT' || op.op === 'REMOVE') {
          const previous = ops.get(key);
          if (previous) this.added.set(bucket, addChecksums(this.added.get(bucket) ?? 0, previous.checksum));
          if (op.op === 'PUT') {
            ops.set(key, { checksum });
            rows.set(key, op.data);
          } else {
            ops.delete(key);
            rows.delete(key);
            this.added.set(bucket, addChecksums(this.added.get(bucket) ?? 0, checksum));
          }
        } else if (op.op === 'MOVE') {
          this.added.set(bucket, addChecksums(this.added.get(bucket) ?? 0, checksum));
        } else if (op.op === 'CLEAR') {
          ops.clear();
          rows.clear();
          this.added.set(bucket, checksum);
        }
      }
      this.positions.set(bucket, line.data.next_after);
    } else if (line.checkpoint_complete) {
      for (const [bucket, expected] of this.expected) {
        const actual = this.checksumOf(bucket);
        if (actual !== normaliseChecksum(expected.checksum)) {
          throw new Error(
            `checksum mismatch in ${bucket}: client ${actual}, server ${normaliseChecksum(expected.checksum)}`,
          );
        }
      }
      this.completed.push(line.checkpoint_complete.last_op_id);
    }
  }

  checksumOf(bucket: string): number {
    let sum = this.added.get(bucket) ?? 0;
    for (const op of this.ops.get(bucket)?.values() ?? []) sum = addChecksums(sum, op.checksum);
    return sum;
  }

  /** Row data of every bucket, keyed by object id. */
  objects(): Map<string, string> {
    const all = new Map<string, string>();
    for (const rows of this.rows.values()) for (const [key, data] of rows) all.set(key.split('/')[1]!, data);
    return all;
  }

  private dropBucket(bucket: string): void {
    this.rows.delete(bucket);
    this.ops.delete(bucket);
    this.added.delete(bucket);
  }
}
