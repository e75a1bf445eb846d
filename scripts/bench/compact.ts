/**
 * Compaction benchmark: builds a bucket set (default 10 buckets × 100,000 ops over 10,000 rows each = 1 M ops,
 * 100 k distinct rows, ~10 % REMOVEs) directly in storage with SQL, then times `compact()` and samples the
 * process RSS every 50 ms. Data is re-created for every run. Starts its own embedded Postgres (loopback only)
 * and stops it at the end. Checksums are verified unchanged after each run.
 * Usage: npm run bench:compact [-- --runs 3 --buckets 10 --ops 100000 --rows 10000 --memory-limit-mb 1024]
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { startEmbeddedPostgres, type PostgresServer } from '../../src/postgres/index.js';
import { putChecksum, removeChecksum } from '../../src/protocol/index.js';
import { compact, type CompactResult } from '../../src/service/compact/index.js';
import { createStoragePool, getBucketChecksums, migrate } from '../../src/service/storage/index.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    buckets: { type: 'string', default: '10' },
    ops: { type: 'string', default: '100000' },
    rows: { type: 'string', default: '10000' },
    'remove-percent': { type: 'string', default: '10' },
    'memory-limit-mb': { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const BUCKETS = Number(args.buckets);
const OPS_PER_BUCKET = Number(args.ops);
const ROWS_PER_BUCKET = Number(args.rows);
const REMOVE_PERCENT = Number(args['remove-percent']);
const MEMORY_LIMIT_MB = args['memory-limit-mb'] === undefined ? undefined : Number(args['memory-limit-mb']);
const TOTAL_OPS = BUCKETS * OPS_PER_BUCKET;
const GROUP_ID = 1;

const TARGETS = { opsPerSecond: 20_000, opsPerSecondGoal: 100_000, rssMB: 512, rssGoalMB: 256 };

interface RunFigures {
  result: CompactResult;
  generateSeconds: number;
  opsPerSecond: number;
  peakRssMB: number;
  baselineRssMB: number;
  opsBefore: number;
  opsAfter: number;
}

/** The PUT/REMOVE checksums of protocol.md §1.7, in SQL, so a million ops need no round trip per row. */
const CHECKSUM_FUNCTION = `
  CREATE FUNCTION public.bench_checksum(text) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT get_byte(h, 0)::bigint + (get_byte(h, 1)::bigint << 8) + (get_byte(h, 2)::bigint << 16)
           + (get_byte(h, 3)::bigint << 24)
    FROM (SELECT sha256(convert_to($1, 'UTF8')) AS h) s
  $$`;

/** Ops round-robin over the buckets (op id g → bucket (g−1) mod B); each op picks a row by hashing its id. */
const GENERATE_OPS = `
  INSERT INTO powersync.bucket_data
    (group_id, bucket_name, op_id, op, source_table, source_key, subkey, table_name, row_id, checksum, data)
  SELECT $1, 'by_list["' || s.b || '"]', s.op_id, s.op, 1, convert_to(s.row_id, 'UTF8'), x.subkey, 'todos', s.row_id,
         CASE WHEN s.op = 'PUT' THEN public.bench_checksum('put.todos.' || s.row_id || '.' || x.data)
              ELSE public.bench_checksum('delete.' || x.subkey) END,
         x.data
  FROM (
    SELECT g AS op_id, (g - 1) % $3 AS b,
           'l' || (g - 1) % $3 || '-r' || mod(hashint8(g)::bigint + 2147483648, $4) AS row_id,
           CASE WHEN mod(hashint8(-g)::bigint + 2147483648, 100) < $5 THEN 'REMOVE' ELSE 'PUT' END AS op
    FROM generate_series($2::int8, $6::int8) g
  ) s
  CROSS JOIN LATERAL (
    SELECT md5(s.row_id)::uuid::text AS subkey,
           CASE WHEN s.op = 'PUT' THEN '{"id":"' || s.row_id || '","title":"todo ' || s.op_id || '","done":0}' END AS data
  ) x`;

async function generate(pool: pg.Pool): Promise<number> {
  const started = performance.now();
  await pool.query(CHECKSUM_FUNCTION);
  await pool.query(
    `INSERT INTO powersync.sync_rules (id, state, content, slot_name, last_checkpoint) VALUES ($1, 'ACTIVE', '', 'bench', $2)`,
    [GROUP_ID, TOTAL_OPS],
  );
  const chunk = 100_000;
  for (let from = 1; from <= TOTAL_OPS; from += chunk) {
    const to = Math.min(from + chunk - 1, TOTAL_OPS);
    await pool.query(GENERATE_OPS, [GROUP_ID, from, BUCKETS, ROWS_PER_BUCKET, REMOVE_PERCENT, to]);
  }
  await pool.query(
    `INSERT INTO powersync.bucket_state (group_id, bucket_name, op_count, checksum, last_op, ops_since_compact)
     SELECT group_id, bucket_name, count(*), sum(checksum) % 4294967296, max(op_id), count(*)
     FROM powersync.bucket_data GROUP BY 1, 2`,
  );
  await pool.query(`SELECT setval('powersync.op_id_sequence', $1)`, [TOTAL_OPS]);
  await pool.query('VACUUM ANALYZE powersync.bucket_data, powersync.bucket_state');
  await checkChecksumFunction(pool);
  return (performance.now() - started) / 1000;
}

/** The SQL checksums agree with the protocol module's. */
async function checkChecksumFunction(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{
    op: string;
    row_id: string;
    subkey: string;
    data: string | null;
    checksum: string;
  }>(
    `(SELECT op, row_id, subkey, data, checksum FROM powersync.bucket_data WHERE op = 'PUT' LIMIT 3)
     UNION ALL (SELECT op, row_id, subkey, data, checksum FROM powersync.bucket_data WHERE op = 'REMOVE' LIMIT 3)`,
  );
  for (const row of rows) {
    const expected =
      row.op === 'PUT' ? putChecksum('todos', row.row_id, row.data!) : removeChecksum(row.subkey);
    if (expected !== Number(row.checksum))
      throw new Error(`SQL checksum mismatch for ${row.op} ${row.row_id}`);
  }
}

/** Largest RSS seen by a 50 ms sampler (and at start and stop). */
class RssSampler {
  private peak = process.memoryUsage.rss();
  private readonly timer = setInterval(() => this.sample(), 50);

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

async function bucketNames(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ bucket_name: string }>(
    'SELECT bucket_name FROM powersync.bucket_state',
  );
  return rows.map((r) => r.bucket_name);
}

async function opCount(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM powersync.bucket_data');
  return rows[0]!.n;
}

/** Checksums at the checkpoint must be unchanged; the pre-aggregate must match a full scan. */
async function verify(pool: pg.Pool, before: Map<string, { checksum: number }>): Promise<void> {
  const after = await getBucketChecksums(pool, GROUP_ID, BigInt(TOTAL_OPS), [...before.keys()]);
  for (const [bucket, { checksum }] of before) {
    if (after.get(bucket)?.checksum !== checksum)
      throw new Error(`Checksum of ${bucket} changed by compaction`);
  }
  const { rows } = await pool.query<{ bad: number }>(
    `SELECT count(*)::int AS bad FROM powersync.bucket_state s
     JOIN (SELECT bucket_name, count(*) AS n, sum(checksum) % 4294967296 AS c FROM powersync.bucket_data GROUP BY 1) d
       USING (bucket_name)
     WHERE s.op_count <> d.n OR s.checksum <> d.c`,
  );
  if (rows[0]!.bad > 0) throw new Error(`${rows[0]!.bad} buckets have an inconsistent bucket_state`);
}

async function runOnce(server: PostgresServer, run: number): Promise<RunFigures> {
  const database = `bench_compact_${run}`;
  const pool = createStoragePool(await server.createDatabase(database));
  try {
    await migrate(pool, 'up');
    const generateSeconds = await generate(pool);
    const before = await getBucketChecksums(pool, GROUP_ID, BigInt(TOTAL_OPS), await bucketNames(pool));
    const opsBefore = await opCount(pool);
    global.gc?.();
    const baselineRssMB = process.memoryUsage.rss() / 2 ** 20;
    const sampler = new RssSampler();
    const result = await compact(pool, { memoryLimitMB: MEMORY_LIMIT_MB });
    const peakRssMB = sampler.stop() / 2 ** 20;
    await verify(pool, before);
    const opsAfter = await opCount(pool);
    const opsPerSecond = result.opsExamined / (result.durationMs / 1000);
    return { result, generateSeconds, opsPerSecond, peakRssMB, baselineRssMB, opsBefore, opsAfter };
  } finally {
    await pool.end();
    await server.dropDatabase(database);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function printRun(run: number, f: RunFigures): void {
  const r = f.result;
  console.log(
    [
      `#${run}`.padEnd(4),
      fmt(r.opsExamined).padStart(10),
      fmt(r.movedOps).padStart(9),
      fmt(r.clearedOps).padStart(9),
      fmt(r.clearOpsWritten).padStart(7),
      `${fmt(f.opsBefore)}→${fmt(f.opsAfter)}`.padStart(19),
      fmt(r.trackedRowsPeak).padStart(8),
      fmt(r.durationMs / 1000, 2).padStart(7),
      fmt(f.opsPerSecond).padStart(9),
      fmt(f.peakRssMB).padStart(8),
      fmt(f.baselineRssMB).padStart(8),
      fmt(f.generateSeconds, 1).padStart(6),
    ].join(' '),
  );
}

function printSummary(figures: RunFigures[]): void {
  const summary = (label: string, values: number[], digits: number, unit: string) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    console.log(
      `${label.padEnd(22)} median ${fmt(median(values), digits)} ${unit} (min ${fmt(lo, digits)}, max ${fmt(hi, digits)}, n=${values.length})`,
    );
  };
  console.log('');
  summary(
    'wall time',
    figures.map((f) => f.result.durationMs / 1000),
    2,
    's',
  );
  summary(
    'ops examined/s',
    figures.map((f) => f.opsPerSecond),
    0,
    'ops/s',
  );
  summary(
    'peak RSS (process)',
    figures.map((f) => f.peakRssMB),
    0,
    'MB',
  );
  const opsPerSecond = median(figures.map((f) => f.opsPerSecond));
  const rss = median(figures.map((f) => f.peakRssMB));
  const verdict = (ok: boolean, goal: boolean) => (goal ? 'goal met' : ok ? 'target met' : 'MISSED');
  console.log(
    `targets: ≥ ${fmt(TARGETS.opsPerSecond)} ops/s (goal ${fmt(TARGETS.opsPerSecondGoal)}): ` +
      `${verdict(opsPerSecond >= TARGETS.opsPerSecond, opsPerSecond >= TARGETS.opsPerSecondGoal)}; ` +
      `peak RSS < ${TARGETS.rssMB} MB (goal ${TARGETS.rssGoalMB} MB): ` +
      `${verdict(rss < TARGETS.rssMB, rss < TARGETS.rssGoalMB)}`,
  );
}

async function main(): Promise<void> {
  console.log(
    `compact benchmark: ${BUCKETS} buckets × ${fmt(OPS_PER_BUCKET)} ops over ${fmt(ROWS_PER_BUCKET)} rows each ` +
      `(${fmt(TOTAL_OPS)} ops, ${fmt(BUCKETS * ROWS_PER_BUCKET)} rows, ${REMOVE_PERCENT} % REMOVE), ${RUNS} run(s), ` +
      `memoryLimitMB ${MEMORY_LIMIT_MB ?? 'default'}, Node ${process.version}`,
  );
  const server = await startEmbeddedPostgres();
  try {
    console.log(
      'run    examined     moved   cleared CLEARs   stored ops before→after  tracked  wall s     ops/s  peakRSS  baseRSS  gen s',
    );
    const figures: RunFigures[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const f = await runOnce(server, run);
      figures.push(f);
      printRun(run, f);
    }
    printSummary(figures);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
