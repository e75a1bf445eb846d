/**
 * Shared parts of the sync API benchmarks (api-memory, api-fanout): an embedded Postgres with a small source
 * schema, the reference service as a separate child process (so its RSS and CPU can be read from /proc), and a
 * lean NDJSON stream client that speaks HTTP/1.1 over raw sockets. Everything talks to 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { serialize } from 'bson';
import pg from 'pg';
import { WebSocket } from 'ws';
import { freePort, startEmbeddedPostgres, type PostgresServer } from '../../src/postgres/index.js';
import {
  decodeFrame,
  encodeCancel,
  encodeKeepalive,
  encodeRequestN,
  encodeRequestStream,
  encodeSetup,
  FrameType,
  mintToken,
  type RSocketFrame,
} from '../../src/protocol/index.js';

// ---------------------------------------------------------------------------------------------------------
// Small statistics helpers

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** Least-squares line y = intercept + slope·x. */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [
    line(headers),
    '  ' + widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup that also runs on SIGINT/SIGTERM and on a global deadline

const cleanups: Array<() => Promise<void> | void> = [];
let cleaningUp: Promise<void> | null = null;

/** Registers a cleanup step; steps run in reverse order of registration. */
export function onCleanup(step: () => Promise<void> | void): void {
  cleanups.push(step);
}

export function runCleanups(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaningUp;
}

/** SIGINT/SIGTERM and a hard deadline stop everything (child, Postgres) and exit non-zero. */
export function installGuards(deadlineMs: number): void {
  const bail = (why: string, code: number) => {
    console.error(`\n${why}: stopping the service child and Postgres`);
    const force = setTimeout(() => process.exit(code), 30_000);
    force.unref();
    void runCleanups().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail('SIGINT', 130));
  process.once('SIGTERM', () => bail('SIGTERM', 143));
  const timer = setTimeout(
    () => bail(`benchmark exceeded its ${deadlineMs / 1000} s deadline`, 1),
    deadlineMs,
  );
  timer.unref();
}

// ---------------------------------------------------------------------------------------------------------
// Source data and the service child

export const SYNC_CONFIG = `
bucket_definitions:
  global:
    data:
      - SELECT * FROM lists
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
`;

const SOURCE_SCHEMA = `
  CREATE TABLE lists (id text PRIMARY KEY, name text);
  CREATE TABLE todos (id text PRIMARY KEY, owner_id text, title text, done boolean DEFAULT false);
  CREATE PUBLICATION powersync FOR ALL TABLES;
`;

export const AUDIENCE = 'syncscale';
export const LIST_ROWS = 5;

/** The repository root (the compiled file lives in .tmp/bench/scripts/bench/). */
function repositoryRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, '../../../..'), path.resolve(here, '../..'), process.cwd()]) {
    if (fs.existsSync(path.join(candidate, 'bin', 'syncscale.js'))) return candidate;
  }
  throw new Error('cannot find bin/syncscale.js');
}

export interface LogLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The reference service as a child process, its output kept (all of stderr and every WARN/ERROR line). */
export class ServiceChild {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly child: ChildProcess;
  private recent: string[] = [];
  private waiters: Array<() => void> = [];
  /** Label of the benchmark phase, stamped on kept log lines. */
  phase = 'start';
  readonly phaseOf = new Map<LogLine, string>();

  /** The node arguments and CLI arguments the child was started with (for the report). */
  readonly commandLine: string;

  /** `heapMb` sets the child's `--max-old-space-size` (V8 default when absent). */
  constructor(
    configPath: string,
    options: { heapMb?: number; nodeArgs?: string[]; role?: 'unified' | 'api' | 'sync' } = {},
  ) {
    const root = repositoryRoot();
    const nodeArgs = [
      ...(options.heapMb ? [`--max-old-space-size=${options.heapMb}`] : []),
      ...(options.nodeArgs ?? []),
    ];
    const cliArgs = [
      path.join(root, 'bin', 'syncscale.js'),
      'service',
      'start',
      '-r',
      options.role ?? 'unified',
      '-c',
      configPath,
    ];
    this.commandLine = ['node', ...nodeArgs, 'bin/syncscale.js', ...cliArgs.slice(1)].join(' ');
    this.child = spawn(process.execPath, [...nodeArgs, ...cliArgs], {
      cwd: root,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const [name, stream] of [
      ['stdout', this.child.stdout!],
      ['stderr', this.child.stderr!],
    ] as const) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const text of parts) this.keep(name, text);
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve({ code, signal });
        for (const wake of this.waiters.splice(0)) wake();
      }),
    );
    // Never leave the service running behind the benchmark.
    process.on('exit', () => this.alive && this.child.kill('SIGKILL'));
  }

  private keep(stream: 'stdout' | 'stderr', text: string): void {
    this.recent.push(text);
    if (this.recent.length > 50) this.recent.shift();
    if (
      stream === 'stderr' ||
      /\b(WARN|ERROR)\b|"level":(40|50|60)/.test(text) ||
      /Listening on/.test(text)
    ) {
      const line = { at: Date.now(), stream, text };
      if (this.lines.length < 5000) {
        this.lines.push(line);
        this.phaseOf.set(line, this.phase);
      }
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of output, whatever their level. */
  get tail(): string {
    return this.recent.join('\n');
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line.text);
        if (match) return match;
      }
      if (!this.alive) throw new Error(`service exited (${JSON.stringify(this.exitInfo)}):\n${this.tail}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${this.tail}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Resident set size in KiB (VmRSS), or NaN once the process is gone. */
  rssKb(): number {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match ? Number(match[1]) : NaN;
    } catch {
      return NaN;
    }
  }

  /** utime + stime in seconds (from /proc/<pid>/stat, clock ticks of 100 Hz). */
  cpuSeconds(): number {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return NaN;
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.alive && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

const CLOCK_TICKS = 100;

/** Fetches the service's Prometheus text (127.0.0.1) and returns the named gauges. */
export async function scrapeMetrics(port: number, names: string[]): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('metrics scrape timed out')));
    req.on('error', reject);
  });
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const name of names) {
      if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
        const value = Number(line.slice(line.lastIndexOf(' ') + 1));
        values.set(name, (values.get(name) ?? 0) + value);
      }
    }
  }
  return values;
}

/** utime + stime of a process in seconds (from /proc/<pid>/stat), NaN when gone; also its parent pid. */
function processCpu(pid: number): { seconds: number; ppid: number } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, ppid: Number(fields[1]) };
  } catch {
    return { seconds: NaN, ppid: 0 };
  }
}

/**
 * CPU seconds of our Postgres server: the postmaster and its live children (backends, walsenders, WAL
 * writer…). Backends that exited in between are not counted; the service's pooled connections persist.
 */
/** PID of the postmaster serving `pool` (from postmaster.pid in its data directory). */
export async function postmasterPidOf(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ data_directory: string }>('SHOW data_directory');
  return Number(fs.readFileSync(path.join(rows[0]!.data_directory, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export function postgresCpuSeconds(postmasterPid: number): number {
  let total = processCpu(postmasterPid).seconds;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const { seconds, ppid } = processCpu(Number(entry));
    if (ppid === postmasterPid && Number.isFinite(seconds)) total += seconds;
  }
  return total;
}

export interface BenchEnvironment {
  pg: PostgresServer;
  source: pg.Pool;
  sourceUrl: string;
  storageUrl: string;
  service: ServiceChild;
  port: number;
  metricsPort: number;
  key: { k: string; kid: string };
  startupSeconds: number;
  /** PID of our embedded Postgres postmaster (from postmaster.pid), NaN if unreadable. */
  postmasterPid: number;
  /** The service config file (in a temp dir removed at cleanup). */
  configPath: string;
}

/**
 * Embedded Postgres, source schema with `lists` (5 rows) and 1–2 todos per user for `users` users, and the
 * service child, started and ready (an active sync config, a probe stream got its first checkpoint).
 * Registers the cleanups (child first, then Postgres).
 */
export async function startEnvironment(options: {
  users: number;
  maxConcurrentConnections: number;
  /** `--max-old-space-size` of the service child, in MB (V8 default when absent). */
  heapMb?: number;
  /** More node flags for the service child (e.g. `--heapsnapshot-signal`). */
  nodeArgs?: string[];
}): Promise<BenchEnvironment> {
  const server = await startEmbeddedPostgres();
  onCleanup(() => server.stop());
  const sourceUrl = await server.createDatabase('api_bench_src');
  const storageUrl = await server.createDatabase('api_bench_sto');
  // The embedded server runs with synchronous_commit=off, so a commit's WAL reaches the walsender only at the
  // next WAL-writer flush (up to wal_writer_delay, 200 ms). The bench's own writes commit synchronously, as
  // an application's would on a production source, so replication starts at once.
  const source = new pg.Pool({ connectionString: sourceUrl, max: 2, options: '-c synchronous_commit=on' });
  source.on('error', () => undefined);
  onCleanup(() => source.end());
  await source.query(SOURCE_SCHEMA);
  await source.query(
    `INSERT INTO lists (id, name) SELECT 'l' || g, 'list ' || g FROM generate_series(0, ${LIST_ROWS - 1}) g`,
  );
  // One or two todos per user (u0 has 2, u1 has 1, …).
  await source.query(
    `INSERT INTO todos (id, owner_id, title)
     SELECT 't' || g || '_' || k, 'u' || g, 'todo ' || k || ' of user ' || g
     FROM generate_series(0, $1::int - 1) g, generate_series(1, 2) k WHERE k = 1 OR g % 2 = 0`,
    [options.users],
  );

  // NaN when unreadable: Postgres CPU is then not reported.
  const postmasterPid = await postmasterPidOf(source).catch(() => NaN);

  const port = await freePort();
  const metricsPort = await freePort();
  const key = { k: randomBytes(32).toString('base64url'), kid: 'bench' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-api-bench-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configPath = path.join(dir, 'powersync.yaml');
  fs.writeFileSync(
    configPath,
    `
port: ${port}
replication:
  connections:
    - type: postgresql
      uri: ${sourceUrl}
      sslmode: disable
storage:
  type: postgresql
  uri: ${storageUrl}
  sslmode: disable
sync_config:
  content: |
${SYNC_CONFIG.split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
client_auth:
  audience: [${AUDIENCE}]
  jwks:
    keys:
      - { kty: oct, alg: HS256, kid: ${key.kid}, k: ${key.k} }
api:
  parameters: { max_concurrent_connections: ${options.maxConcurrentConnections} }
telemetry: { prometheus_port: ${metricsPort}, disable_telemetry_sharing: true }
healthcheck:
  probes: { use_http: false, use_filesystem: false }
system:
  logging: { level: info, format: text }
`,
  );

  const started = Date.now();
  // SYNCSCALE_BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the service child.
  const extraNodeArgs = process.env.SYNCSCALE_BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const service = new ServiceChild(configPath, {
    heapMb: options.heapMb,
    nodeArgs: [...(options.nodeArgs ?? []), ...extraNodeArgs],
  });
  onCleanup(() => service.stop());
  await service.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
  // Initial replication: streams are refused (500 PSYNC_S2302) until the first checkpoint exists.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const probe = new StreamClient(port, await tokenFor('probe', key), () => undefined);
    const outcome = await probe.firstCheckpoint(10_000);
    probe.close();
    if (outcome === 'ok') break;
    if (Date.now() > deadline) throw new Error(`service never became ready: ${probe.describe()}`);
    if (!service.alive) throw new Error(`service exited during start-up:\n${service.tail}`);
    await sleep(250);
  }
  return {
    pg: server,
    source,
    sourceUrl,
    storageUrl,
    configPath,
    service,
    port,
    metricsPort,
    key,
    startupSeconds: (Date.now() - started) / 1000,
    postmasterPid,
  };
}

export function tokenFor(sub: string, key: { k: string; kid: string }): Promise<string> {
  return mintToken({ key, sub, audience: AUDIENCE, lifetimeSeconds: 3600 });
}

// ---------------------------------------------------------------------------------------------------------
// The stream client

/** Marker written into `lists.name` by the fan-out benchmark: `~c<n>~`. */
const MARKER = /~c(\d+)~/g;

type Phase = 'head' | 'size' | 'data' | 'crlf' | 'raw' | 'done';

/**
 * One `POST /sync/stream` over a raw socket: a hand-written HTTP/1.1 request, a minimal chunked-body decoder,
 * NDJSON lines recognised by their first key without JSON parsing. Keeps a few counters and the highest
 * fan-out marker seen in `data` lines; calls `onComplete` for every `checkpoint_complete`.
 */
/** What both idle clients (HTTP and WebSocket) count, and their wait for a first checkpoint_complete. */
abstract class IdleStreamBase {
  completes = 0;
  firstCompleteAt = NaN;
  checkpoints = 0;
  dataLines = 0;
  keepalives = 0;
  otherLines = 0;
  firstOtherLine: string | undefined;
  closed = false;
  closedByUs = false;
  closeReason: string | undefined;
  closedAt = NaN;
  private firstWaiters: Array<() => void> = [];

  /** Waits for the first checkpoint_complete: 'ok', or 'failed' (closed, refused, timed out). */
  async firstCheckpoint(timeoutMs: number): Promise<'ok' | 'failed'> {
    const deadline = Date.now() + timeoutMs;
    while (this.completes === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.firstWaiters.push(resolve);
        setTimeout(resolve, Math.min(1000, Math.max(1, deadline - Date.now())));
      });
    }
    if (this.completes > 0) return 'ok';
    if (!this.closed) this.closeReason = `no checkpoint_complete within ${timeoutMs} ms`;
    return 'failed';
  }

  protected wakeFirst(): void {
    for (const wake of this.firstWaiters.splice(0)) wake();
  }
}

export class StreamClient extends IdleStreamBase implements IdleStream {
  status = 0;
  statusBody = '';
  contentEncoding: string | undefined;
  /** Highest marker seen in a data line. */
  markerSeen = 0;
  /** Highest marker already accounted at a checkpoint_complete. */
  markerDone = 0;
  /** Markers up to this one were issued before this client was ready (not counted). */
  readyAfterMarker = 0;
  private readonly socket: net.Socket;
  private phase: Phase = 'head';
  private head = '';
  private sizeLine = '';
  private remaining = 0;
  private pendingLine = '';
  private contentLength = -1;

  private gunzip: zlib.Gunzip | undefined;

  constructor(
    port: number,
    token: string,
    private readonly onComplete: (client: StreamClient, at: number) => void,
    readonly id = 0,
    /** Ask for gzip (`Accept-Encoding: gzip`, as the SDKs' fetch does) and decompress what comes back. */
    private readonly gzip = false,
  ) {
    super();
    const body = '{"raw_data":true}';
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `POST /sync/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Token ${token}\r\n` +
          `Content-Type: application/json\r\nAccept: application/x-ndjson\r\n` +
          (this.gzip ? 'Accept-Encoding: gzip\r\n' : '') +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
    });
    this.socket.on('data', (buffer: Buffer) => this.onData(buffer.toString('latin1')));
    this.socket.on('error', (error) => (this.closeReason ??= error.message));
    this.socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      if (!this.closeReason) {
        this.closeReason =
          this.phase === 'done'
            ? 'response ended'
            : this.phase === 'head'
              ? 'closed before headers'
              : 'closed';
      }
      this.wakeFirst();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closedByUs = true;
    this.socket.destroy();
  }

  describe(): string {
    const body = this.statusBody ? ` ${this.statusBody.slice(0, 300)}` : '';
    return `status ${this.status || '-'}${body}; ${this.closeReason ?? 'open'}`;
  }

  private onData(text: string): void {
    let i = 0;
    if (this.phase === 'head') {
      this.head += text;
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.head.length > 64 * 1024) this.fail('response head too large');
        return;
      }
      this.parseHead(this.head.slice(0, end));
      text = this.head.slice(end + 4);
      this.head = '';
    }
    while (i < text.length) {
      switch (this.phase) {
        case 'size': {
          const nl = text.indexOf('\r\n', i);
          if (nl < 0) {
            this.sizeLine += text.slice(i);
            return;
          }
          const line = this.sizeLine + text.slice(i, nl);
          this.sizeLine = '';
          i = nl + 2;
          const size = parseInt(line, 16);
          if (!Number.isFinite(size)) return this.fail(`bad chunk size ${JSON.stringify(line)}`);
          if (size === 0) {
            this.phase = 'done';
            this.socket.end();
            return;
          }
          this.remaining = size;
          this.phase = 'data';
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, text.length - i);
          this.body(text.slice(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.phase = 'crlf';
            this.remaining = 2;
          }
          break;
        }
        case 'crlf': {
          const take = Math.min(this.remaining, text.length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.phase = 'size';
          break;
        }
        case 'raw': {
          this.body(text.slice(i));
          i = text.length;
          break;
        }
        default:
          return;
      }
    }
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    this.status = Number(lines[0]!.split(' ')[1]);
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
      if (name === 'content-length') this.contentLength = Number(value);
      if (name === 'content-encoding' && value !== 'identity') this.contentEncoding = value;
    }
    this.phase = chunked ? 'size' : 'raw';
    if (this.contentEncoding === 'gzip' && this.gzip) {
      this.gunzip = zlib.createGunzip();
      this.gunzip.on('data', (chunk: Buffer) => this.feed(chunk.toString('latin1')));
      this.gunzip.on('error', (error) => this.fail(`gzip: ${error.message}`));
    } else if (this.contentEncoding) this.fail(`unexpected Content-Encoding ${this.contentEncoding}`);
    else if (this.status !== 200 && this.contentLength === 0) this.fail('error response');
  }

  /** Body bytes (latin1 text): through gunzip when the stream is compressed. */
  private body(text: string): void {
    if (this.gunzip) this.gunzip.write(Buffer.from(text, 'latin1'));
    else this.feed(text);
  }

  private feed(text: string): void {
    if (this.status !== 200) {
      this.statusBody += text;
      if (this.contentLength >= 0 && this.statusBody.length >= this.contentLength)
        this.fail('error response');
      return;
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = this.pendingLine ? this.pendingLine + text.slice(start, nl) : text.slice(start, nl);
      this.pendingLine = '';
      start = nl + 1;
      if (line.length > 0) this.onLine(line);
    }
    if (start < text.length) this.pendingLine += text.slice(start);
  }

  private onLine(line: string): void {
    if (line.startsWith('{"checkpoint_complete"')) {
      const at = performance.now();
      this.completes++;
      if (this.completes === 1) {
        this.firstCompleteAt = at;
        this.markerDone = this.markerSeen;
        this.wakeFirst();
      }
      this.onComplete(this, at);
    } else if (line.startsWith('{"data"')) {
      this.dataLines++;
      if (line.includes('~c')) {
        MARKER.lastIndex = 0;
        for (let m = MARKER.exec(line); m; m = MARKER.exec(line)) {
          const n = Number(m[1]);
          if (n > this.markerSeen) this.markerSeen = n;
        }
      }
    } else if (line.startsWith('{"checkpoint"') || line.startsWith('{"checkpoint_diff"')) {
      this.checkpoints++;
    } else if (line.startsWith('{"token_expires_in"')) {
      this.keepalives++;
    } else if (!line.startsWith('{"partial_checkpoint_complete"')) {
      this.otherLines++;
      this.firstOtherLine ??= line.slice(0, 300);
    }
  }

  private fail(reason: string): void {
    this.closeReason = reason;
    this.socket.destroy();
  }
}

/** What the idle-connection benchmark needs of a stream client, whatever its transport. */
export interface IdleStream {
  readonly id: number;
  readonly closed: boolean;
  readonly closedByUs: boolean;
  /** checkpoint_complete lines received. */
  readonly completes: number;
  /** token_expires_in lines received. */
  readonly keepalives: number;
  readonly otherLines: number;
  readonly firstOtherLine: string | undefined;
  firstCheckpoint(timeoutMs: number): Promise<'ok' | 'failed'>;
  close(): void;
  describe(): string;
}

/**
 * Opens `count` clients of distinct users (`u<from>` …) with at most `inFlight` (default 50) between connect
 * and first checkpoint_complete; each is pushed to `into` as it is created. Stops opening new ones once
 * `maxFailures` have failed. Returns the failures (index and description).
 */
export async function openClients<C extends IdleStream>(options: {
  key: { k: string; kid: string };
  from: number;
  count: number;
  inFlight?: number;
  timeoutMs?: number;
  maxFailures?: number;
  create: (index: number, token: string) => C;
  into: C[];
}): Promise<{ failures: string[]; seconds: number }> {
  const started = performance.now();
  const failures: string[] = [];
  const maxFailures = options.maxFailures ?? Infinity;
  let next = options.from;
  const end = options.from + options.count;
  const worker = async () => {
    while (next < end && failures.length < maxFailures) {
      const index = next++;
      const client = options.create(index, await tokenFor(`u${index}`, options.key));
      options.into.push(client);
      const outcome = await client.firstCheckpoint(options.timeoutMs ?? 60_000);
      if (outcome !== 'ok') failures.push(`u${index}: ${client.describe()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.inFlight ?? 50, options.count) }, worker));
  return { failures, seconds: (performance.now() - started) / 1000 };
}

/**
 * Many HTTP NDJSON streams of distinct users (`u<index>`), opened with a bounded number in flight; each waits
 * for its first checkpoint_complete. Returns the failures (index and description).
 */
export function openStreams(options: {
  port: number;
  key: { k: string; kid: string };
  from: number;
  count: number;
  inFlight?: number;
  timeoutMs?: number;
  maxFailures?: number;
  onComplete: (client: StreamClient, at: number) => void;
  into: StreamClient[];
  /** Ask for gzip as the SDKs do (the service then gzips every stream). */
  gzip?: boolean;
}): Promise<{ failures: string[]; seconds: number }> {
  return openClients({
    ...options,
    create: (index, token) =>
      new StreamClient(options.port, token, options.onComplete, index, options.gzip === true),
  });
}

/** Streams that closed although we did not close them. */
export function dropped<C extends { closed: boolean; closedByUs: boolean }>(clients: readonly C[]): C[] {
  return clients.filter((c) => c.closed && !c.closedByUs);
}

// ---------------------------------------------------------------------------------------------------------
// The RSocket-over-WebSocket stream client

/** SDK values (protocol.md §1.9): KEEPALIVE every 20 s, connection dead after 30 s without one. */
const WS_KEEPALIVE_MS = 20_000;
const WS_LIFETIME_MS = 30_000;
/** Request-N credit like the SDK: 10 outstanding; when 5 or fewer remain, top up to 10. */
const WS_CREDIT = 10;
const WS_TOP_UP_AT = 5;
const WS_STREAM_ID = 1;
const BSON_MIME = 'application/bson';
const WS_ROUTE = serialize({ path: '/sync/stream' });
const WS_REQUEST = serialize({ raw_data: true });

/** Open WebSocket clients; one shared interval sends every one of them a KEEPALIVE (no timer per client). */
const liveWebSockets = new Set<WsStreamClient>();
let keepaliveTimer: NodeJS.Timeout | undefined;

function keepaliveAll(): void {
  for (const client of liveWebSockets) client.keepalive();
}

/**
 * One sync stream as RSocket over WebSocket (protocol.md §1.9) with the project's frame encoders: SETUP with
 * BSON metadata `{token: 'Token <jwt>'}`, REQUEST_STREAM on stream 1 for `/sync/stream` with 10 credits, one
 * BSON line per PAYLOAD recognised by its first key (no full BSON parse), REQUEST_N to top the credit up to 10
 * when 5 or fewer remain, KEEPALIVE from the shared 20 s interval. No compression (permessage-deflate off).
 */
export class WsStreamClient extends IdleStreamBase implements IdleStream {
  /** KEEPALIVE echoes received from the server (answers to the shared interval's KEEPALIVEs). */
  keepaliveEchoes = 0;
  /** Text of an RSocket ERROR frame or a refused upgrade. */
  error: string | undefined;
  private credit = WS_CREDIT;
  private readonly ws: WebSocket;

  constructor(
    port: number,
    private token: string,
    readonly id = 0,
  ) {
    super();
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/sync/stream`, { perMessageDeflate: false });
    this.ws.on('open', () => this.onOpen());
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.onMessage(data);
    });
    this.ws.on('unexpected-response', (request, response) => {
      this.error = `upgrade refused with HTTP ${response.statusCode ?? 0}`;
      request.destroy();
    });
    this.ws.on('error', (error) => (this.closeReason ??= error.message));
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.closed = true;
      this.closedAt = Date.now();
      liveWebSockets.delete(this);
      if (liveWebSockets.size === 0 && keepaliveTimer) {
        clearInterval(keepaliveTimer);
        keepaliveTimer = undefined;
      }
      this.closeReason ??= `WebSocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
      this.wakeFirst();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closedByUs = true;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeCancel(WS_STREAM_ID));
    this.ws.terminate();
  }

  describe(): string {
    return `${this.error ? `${this.error}; ` : ''}${this.closeReason ?? 'open'}`;
  }

  /** Called by the shared interval: KEEPALIVE with RESPOND, position 0. */
  keepalive(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeKeepalive({ respond: true }));
  }

  private onOpen(): void {
    if (this.closedByUs) return;
    this.ws.send(
      encodeSetup({
        keepaliveMs: WS_KEEPALIVE_MS,
        lifetimeMs: WS_LIFETIME_MS,
        metadataMime: BSON_MIME,
        dataMime: BSON_MIME,
        metadata: serialize({ token: `Token ${this.token}` }),
      }),
    );
    this.token = '';
    this.ws.send(
      encodeRequestStream({
        streamId: WS_STREAM_ID,
        initialN: WS_CREDIT,
        metadata: WS_ROUTE,
        data: WS_REQUEST,
      }),
    );
    liveWebSockets.add(this);
    keepaliveTimer ??= setInterval(keepaliveAll, WS_KEEPALIVE_MS).unref();
  }

  private onMessage(data: Buffer): void {
    let frame: RSocketFrame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      return this.fail(`bad frame: ${(error as Error).message}`);
    }
    switch (frame.type) {
      case FrameType.PAYLOAD:
        if (frame.next) {
          this.credit--;
          if (frame.data.length > 0) this.onLine(frame.data);
          if (this.credit <= WS_TOP_UP_AT && this.ws.readyState === WebSocket.OPEN) {
            this.ws.send(encodeRequestN(WS_STREAM_ID, WS_CREDIT - this.credit));
            this.credit = WS_CREDIT;
          }
        }
        if (frame.complete) this.fail('the server completed the stream');
        return;
      case FrameType.ERROR:
        this.error = `RSocket ERROR 0x${frame.code.toString(16)}: ${frame.message.slice(0, 300)}`;
        return this.fail(this.error);
      case FrameType.KEEPALIVE:
        if (frame.respond) this.ws.send(encodeKeepalive({ respond: false, data: frame.data }));
        else this.keepaliveEchoes++;
        return;
      default:
        return;
    }
  }

  /** A BSON line `{<kind>: …}`: its first element's name (after int32 size and the type byte). */
  private onLine(bson: Buffer): void {
    const nul = bson.indexOf(0, 5);
    const kind = nul > 5 ? bson.toString('latin1', 5, nul) : '';
    switch (kind) {
      case 'checkpoint_complete':
        this.completes++;
        if (this.completes === 1) {
          this.firstCompleteAt = performance.now();
          this.wakeFirst();
        }
        return;
      case 'data':
        this.dataLines++;
        return;
      case 'checkpoint':
      case 'checkpoint_diff':
        this.checkpoints++;
        return;
      case 'token_expires_in':
        this.keepalives++;
        return;
      case 'partial_checkpoint_complete':
        return;
      default:
        this.otherLines++;
        this.firstOtherLine ??= `BSON line with first key ${JSON.stringify(kind)} (${bson.length} bytes)`;
    }
  }

  private fail(reason: string): void {
    this.closeReason ??= reason;
    this.ws.terminate();
  }
}

/** Prints the service's WARN/ERROR/stderr lines, grouped by message shape, with the phase they occurred in. */
export function reportServiceLog(service: ServiceChild): void {
  const problems = service.lines.filter((l) => !/Listening on/.test(l.text));
  if (problems.length === 0) {
    console.log('\nservice log: no WARN/ERROR lines, nothing on stderr');
    return;
  }
  console.log(`\nservice log: ${problems.length} WARN/ERROR/stderr line(s):`);
  const groups = new Map<string, { count: number; first: LogLine; phases: Set<string> }>();
  for (const line of problems) {
    const shape = line.text
      .replace(/^\S+Z /, '')
      .replace(/\bu\d+\b/g, 'u#')
      .replace(/\d+/g, '#');
    const group = groups.get(shape);
    if (group) {
      group.count++;
      group.phases.add(service.phaseOf.get(line) ?? '?');
    } else groups.set(shape, { count: 1, first: line, phases: new Set([service.phaseOf.get(line) ?? '?']) });
  }
  for (const { count, first, phases } of [...groups.values()].slice(0, 20)) {
    console.log(`  ${count}× [${[...phases].join(', ')}] (${first.stream}) ${first.text.slice(0, 400)}`);
  }
  if (groups.size > 20) console.log(`  … ${groups.size - 20} more kinds`);
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

export function clientFootprint(): string {
  const usage = process.cpuUsage();
  return `bench client process: RSS ${Math.round(process.memoryUsage().rss / 1048576)} MB, CPU ${((usage.user + usage.system) / 1e6).toFixed(1)} s`;
}
