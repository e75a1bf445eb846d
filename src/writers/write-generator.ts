import { setImmediate as yieldToLoop } from 'node:timers/promises';
import pg from 'pg';
import type { SampleSink } from '../metrics/index.js';
import { arrivalSchedule, scheduleLength, type ArrivalProcess } from './arrival-schedule.js';
import { uniform, type KeyChoice } from './key-choice.js';
import { KeySpace } from './key-space.js';
import { OpenLoopDispatcher } from './open-loop-dispatcher.js';
import { PayloadSource } from './payload-source.js';
import { createRandom } from './random.js';
import type { RateShape } from './rate-shape.js';
import { TransactionPlanner, type OperationMix, type PlannedTransaction } from './transaction-planner.js';
import { writeStatement, writeValues, type WriteCounts, type WriteStatement } from './write-statement.js';
import { WriteStats, type WriteSummary } from './write-stats.js';
import { quoteTable, validateWriterTable, type WriterTableSpec } from './writer-table.js';
import { cancelBackends, settlesWithin, sleepUntil } from './run-control.js';

export interface WriteGeneratorOptions {
  /** The source database; the generator never ends it. */
  pool: pg.Pool;
  table: WriterTableSpec;
  shape: RateShape;
  /** Default `even`. */
  arrivals?: ArrivalProcess;
  /** Seeds arrivals, operations, keys, owners and payloads. Default 1. */
  seed?: number;
  /** Default `{ insert: 1 }`. */
  mix?: OperationMix;
  /** Default 1. */
  rowsPerTransaction?: number;
  /** Which existing key an update or delete touches. Default uniform. */
  keyChoice?: KeyChoice;
  /** Which user owns an inserted row. Default uniform. */
  ownerChoice?: KeyChoice;
  /** Payload column size in bytes. Default 100. */
  payloadBytes?: number;
  /** The table's live keys; share one between the generators of a run (see `loadDataset`). Default: empty. */
  keys?: KeySpace;
  /** Transactions at once. Default and maximum: the pool's `max`. */
  concurrency?: number;
  /** Drop a transaction that would start later than this. Default 1000 ms. */
  maxLagMs?: number;
  /** The schedule's first ms whose lateness is not judged (a level's clients connect then). Default 0. */
  settleMs?: number;
  /** After the schedule ends, how long running transactions may take before they are cancelled. Default 5000. */
  drainTimeoutMs?: number;
  sink?: SampleSink;
  /** Added to every sample (e.g. `{ phase: 'steady' }`). */
  tags?: Record<string, string>;
}

export interface WriteRunOptions {
  signal?: AbortSignal;
  /** Length of the schedule; default the shape's length (required for a constant shape). */
  durationMs?: number;
}

/**
 * Test-only knobs (docs/drill.md, faults): the generator hands every arrival to the dispatcher this many ms
 * after its scheduled time, as a starved event loop would; and every transaction first waits this many ms on
 * the source connection (`pg_sleep`), as a slow source database would.
 */
export const FAULT_WRITER_LATE_ENV = 'SYNCSCALE_FAULT_WRITER_LATE_MS';
export const FAULT_SOURCE_COMMIT_ENV = 'SYNCSCALE_FAULT_SOURCE_COMMIT_MS';

/**
 * A knob's value for this generator: `<KNOB>_PHASES` (e.g. SYNCSCALE_FAULT_WRITER_LATE_PHASES), a
 * comma-separated list of `phase` tags, restricts it to those phases; unset, it applies to every generator.
 */
function faultMs(name: string, tags: Record<string, string> | undefined): number {
  const value = Number(process.env[name] ?? 0);
  if (!(Number.isFinite(value) && value > 0)) return 0;
  const phases = process.env[name.replace(/_MS$/, '_PHASES')];
  if (phases && !phases.split(',').includes(tags?.phase ?? '')) return 0;
  return value;
}

/** Defaults of the optional settings (documented on WriteGeneratorOptions). */
const DEFAULTS = { seed: 1, rowsPerTransaction: 1, payloadBytes: 100, maxLagMs: 1000 };

/** After an abort, how long running transactions may finish before they are cancelled. */
const ABORT_GRACE_MS = 100;
/** How long cancelled transactions may take to return before run() gives up on them. */
const CANCEL_WAIT_MS = 2000;
/** Arrivals started back to back (the schedule is behind) before yielding to the event loop. */
const BURST = 256;

/**
 * An open-loop write generator: every transaction of the shape's schedule starts at its scheduled time,
 * whether or not earlier ones have finished, up to `concurrency` at once; late starts are measured and very
 * late ones dropped, never hidden. Run once; `summary()` can be read at any time.
 */
export class WriteGenerator {
  readonly keys: KeySpace;
  private readonly options: WriteGeneratorOptions;
  private readonly concurrency: number;
  private readonly statement: WriteStatement;
  private readonly planner: TransactionPlanner;
  private readonly dispatcher: OpenLoopDispatcher;
  private stats: WriteStats;
  private readonly busy = new Set<pg.PoolClient>();
  private stopping = false;
  private started = false;
  /** Test-only knobs, read once (not per transaction). */
  private readonly injectedLateMs: number;
  private readonly slowSourceMs: number;

  constructor(options: WriteGeneratorOptions) {
    validateWriterTable(options.table);
    this.options = options;
    this.injectedLateMs = faultMs(FAULT_WRITER_LATE_ENV, options.tags);
    this.slowSourceMs = faultMs(FAULT_SOURCE_COMMIT_ENV, options.tags);
    this.keys = options.keys ?? new KeySpace();
    const poolMax = options.pool.options.max ?? 10;
    this.concurrency = Math.min(options.concurrency ?? poolMax, poolMax);
    this.statement = writeStatement(quoteTable(options.table));
    const seed = options.seed ?? DEFAULTS.seed;
    this.planner = new TransactionPlanner(this.keys, {
      mix: options.mix ?? { insert: 1 },
      rowsPerTransaction: options.rowsPerTransaction ?? DEFAULTS.rowsPerTransaction,
      keyChoice: options.keyChoice ?? uniform(),
      ownerChoice: options.ownerChoice ?? uniform(),
      users: options.table.users,
      payload: new PayloadSource(options.payloadBytes ?? DEFAULTS.payloadBytes, createRandom(seed, 2)),
      random: createRandom(seed, 1),
    });
    this.dispatcher = new OpenLoopDispatcher({
      concurrency: this.concurrency,
      maxLagMs: options.maxLagMs ?? DEFAULTS.maxLagMs,
      now: () => performance.now(),
      start: (scheduledAt, waitedForSlot) => this.execute(scheduledAt, waitedForSlot),
      onDrop: (_at, _late, whileBusy) => this.stats.droppedOne(whileBusy),
    });
    this.stats = this.createStats(options.shape.durationMs);
  }

  /** Runs the schedule to its end (or the abort), waits for running transactions, and returns the summary. */
  async run(runOptions: WriteRunOptions = {}): Promise<WriteSummary> {
    if (this.started) throw new Error('a WriteGenerator runs once: create one per phase');
    this.started = true;
    const { signal } = runOptions;
    const length = scheduleLength(this.options.shape, runOptions.durationMs);
    this.stats = this.createStats(length);
    const warm = await this.warmUp(signal);
    const start = performance.now();
    this.stats.begin(start);
    const completed = warm && (await this.dispatchSchedule(start, length, signal));
    const scheduleEnd = completed ? start + length : performance.now();
    await this.stop(completed, signal);
    this.stats.end(scheduleEnd, !completed || signal?.aborted === true);
    return this.summary();
  }

  summary(): WriteSummary {
    return this.stats.summary(performance.now());
  }

  private createStats(lengthMs: number): WriteStats {
    const finite = Number.isFinite(lengthMs) ? lengthMs : 1000;
    return new WriteStats({
      targetRate: this.options.shape.meanRate(finite),
      rowsPerTransaction: this.options.rowsPerTransaction ?? DEFAULTS.rowsPerTransaction,
      maxLagMs: this.options.maxLagMs ?? DEFAULTS.maxLagMs,
      concurrency: this.concurrency,
      settleMs: this.options.settleMs ?? 0,
      ...(this.options.sink ? { sink: this.options.sink } : {}),
      ...(this.options.tags ? { tags: this.options.tags } : {}),
    });
  }

  /** Opens every connection before the measured window (bounded); false when aborted meanwhile. */
  private async warmUp(signal?: AbortSignal): Promise<boolean> {
    const connecting = Array.from({ length: this.concurrency }, () => this.options.pool.connect());
    const all = Promise.allSettled(connecting).then((results) => {
      for (const result of results) if (result.status === 'fulfilled') result.value.release();
    });
    await settlesWithin(all, 30_000, signal);
    return !signal?.aborted;
  }

  /** Hands each start time to the dispatcher when it comes; false when aborted. */
  private async dispatchSchedule(start: number, length: number, signal?: AbortSignal): Promise<boolean> {
    const { shape, arrivals, seed } = this.options;
    const injectedLateMs = this.injectedLateMs;
    let burst = 0;
    for (const offset of arrivalSchedule(shape, {
      durationMs: length,
      arrivals: arrivals ?? 'even',
      seed: seed ?? DEFAULTS.seed,
    })) {
      const due = start + offset;
      if (due + injectedLateMs > performance.now()) {
        burst = 0;
        if (!(await sleepUntil(due + injectedLateMs, signal))) return false;
      } else if (++burst >= BURST) {
        burst = 0;
        await yieldToLoop();
        if (signal?.aborted) return false;
      }
      this.stats.arrived();
      this.dispatcher.arrive(due);
    }
    return sleepUntil(start + length, signal);
  }

  /** Lets running transactions finish (drain timeout after a complete run, a short grace after an abort). */
  private async stop(completed: boolean, signal?: AbortSignal): Promise<void> {
    if (completed) {
      const drained = await this.waitIdle(this.options.drainTimeoutMs ?? 5000, signal);
      if (drained) return;
    }
    this.stopping = true;
    this.stats.cancelledSome(this.dispatcher.stop());
    if (await this.waitIdle(ABORT_GRACE_MS)) return;
    await cancelBackends(this.options.pool, [...this.busy]);
    await this.waitIdle(CANCEL_WAIT_MS);
  }

  private waitIdle(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return settlesWithin(this.dispatcher.whenIdle(), timeoutMs, signal);
  }

  /** One transaction: acquire a connection, record its lateness, write, settle the keys, record the result. */
  private async execute(scheduledAt: number, waitedForSlot: boolean): Promise<void> {
    const client = await this.acquire();
    if (!client) return;
    if (this.stopping) {
      client.release();
      this.stats.cancelledSome(1);
      return;
    }
    const startedAt = performance.now();
    this.stats.started(startedAt - scheduledAt, waitedForSlot, scheduledAt);
    const planned = this.planner.plan();
    this.busy.add(client);
    let broken: Error | undefined;
    try {
      if (this.slowSourceMs > 0) await client.query('SELECT pg_sleep($1)', [this.slowSourceMs / 1000]);
      const result = await client.query<WriteCounts>({
        ...this.statement,
        values: writeValues(this.keys, planned),
      });
      const done = performance.now();
      this.keys.settle(planned, true);
      const counts = result.rows[0] ?? { inserted: 0, updated: 0, deleted: 0 };
      this.stats.committed(done, done - startedAt, done - scheduledAt, counts, plannedRows(planned));
    } catch (error) {
      this.keys.settle(planned, false);
      broken = this.recordFailure(error);
    } finally {
      this.busy.delete(client);
      client.release(broken);
    }
  }

  private async acquire(): Promise<pg.PoolClient | undefined> {
    try {
      return await this.options.pool.connect();
    } catch (error) {
      this.recordFailure(error);
      return undefined;
    }
  }

  /** Counts a failure (or a cancellation we asked for); returns the error when the connection is unusable. */
  private recordFailure(error: unknown): Error | undefined {
    const err = error instanceof Error ? error : new Error(String(error));
    const isDatabaseError = err instanceof pg.DatabaseError;
    if (this.stopping && isDatabaseError && err.code === '57014') this.stats.cancelledSome(1);
    else this.stats.failedWith(errorCode(err), err.message);
    return isDatabaseError ? undefined : err;
  }
}

function plannedRows(planned: PlannedTransaction): number {
  return planned.inserted.length + planned.updated.length + planned.deleted.length;
}

/** SQLSTATE for database errors (`pg_23505`), the errno code for network ones, else `unknown`. */
function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  if (error instanceof pg.DatabaseError && typeof code === 'string') return `pg_${code}`;
  return typeof code === 'string' ? code : 'unknown';
}
