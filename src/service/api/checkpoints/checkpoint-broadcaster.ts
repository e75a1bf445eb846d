import pg from 'pg';
import type { Logger } from '../../logging/index.js';
import { costKnobFrom, knobValue, streamLatencyMs } from '../sync/cost-knob.js';
import {
  CHECKPOINT_CHANNEL,
  getActiveCheckpoint,
  getChangedBuckets,
  hasParameterChanges,
  type Checkpoint,
} from '../../storage/index.js';

/** A new storage checkpoint, turned into per-bucket changes once per process and shared by every stream. */
export interface CheckpointUpdate {
  checkpoint: Checkpoint;
  /** Buckets with ops in (previous, checkpoint]; null when unknown (first checkpoint, new stream). */
  changedBuckets: ReadonlySet<string> | null;
  /** True when parameter-index rows changed since the previous checkpoint (dynamic buckets re-resolve). */
  parametersChanged: boolean;
  /** Write checkpoints processed since the previous checkpoint, by user key (`sub/client_id`). */
  writeCheckpoints: ReadonlyMap<string, bigint>;
  /** The checkpoint `changedBuckets` is relative to; null when unknown. */
  previous: bigint | null;
}

/** Work done for an update before any stream sees it (reads every stream would otherwise make). */
type Preparer = (update: CheckpointUpdate) => Promise<void>;

type Listener = (update: CheckpointUpdate) => void;

/**
 * Test-only fault knob: every checkpoint is handed to the streams this many ms late, as if checkpoint
 * processing were slower by a known amount. It exists so the regression gate's power can be measured
 * against a slowdown of known size; never set it in a deployment.
 */
export const FAULT_CHECKPOINT_DELAY_ENV = 'SYNCSCALE_FAULT_CHECKPOINT_DELAY_MS';

/**
 * One LISTEN connection per API process (service.md §4.2): every notification re-reads the active
 * checkpoint, computes what changed with two or three queries, and hands the result to all subscribed
 * streams. Streams never poll storage for checkpoints. A slow fallback poll covers lost notifications.
 */
export class CheckpointBroadcaster {
  private client: pg.Client | null = null;
  private latest: CheckpointUpdate | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly preparers: Preparer[] = [];
  private readonly writeCheckpoints = new Map<string, bigint>();
  private refreshing: Promise<void> | null = null;
  private again = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly faultDelayMs = knobValue(process.env, FAULT_CHECKPOINT_DELAY_ENV);
  private readonly costKnob = costKnobFrom(process.env);

  constructor(
    private readonly storageUrl: string,
    private readonly storage: pg.Pool,
    private readonly log: Logger,
    private readonly pollIntervalMs = 60_000,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    await this.refresh();
    this.pollTimer = setInterval(() => void this.refresh(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }

  /** The latest update, if any checkpoint exists. */
  get current(): CheckpointUpdate | null {
    return this.latest;
  }

  /** The last processed write checkpoint of a user key (from this process's observations and storage). */
  writeCheckpointOf(userKey: string): bigint | undefined {
    return this.writeCheckpoints.get(userKey);
  }

  /** Subscribed listeners: one per open stream plus the process's own. */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  /**
   * Runs `prepare` for every update before the streams are told: the reads thousands of streams would each
   * wait for (checksums and data of the changed buckets) are made once, so each stream can then process
   * the checkpoint without awaiting. A failed preparation is logged; the streams then read for themselves.
   */
  prepare(prepare: Preparer): void {
    this.preparers.push(prepare);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the active checkpoint now (also called on every notification). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          await this.readCheckpoint();
        } catch (error) {
          this.log.warn(
            `Checkpoint refresh failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.storageUrl,
      application_name: 'syncscale-checkpoints',
    });
    client.on('notification', () => void this.refresh());
    client.on('error', (error) => {
      if (this.client !== client) return;
      this.log.warn(`Checkpoint listener lost its connection: ${error.message}; reconnecting`);
      this.client = null;
      client.end().catch(() => undefined);
      void this.reconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHECKPOINT_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  /**
   * Reconnects until it succeeds (storage restarting takes longer than one try), then reads the checkpoint:
   * notifications sent while the listener was gone are lost, the refresh catches up on them.
   */
  private async reconnect(): Promise<void> {
    for (let delayMs = 500; !this.stopped; delayMs = Math.min(delayMs * 2, 5_000)) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (this.stopped) return;
      try {
        await this.connect();
        this.log.info('Checkpoint listener reconnected');
        await this.refresh();
        return;
      } catch (error) {
        this.log.warn(
          `Checkpoint listener could not reconnect: ${error instanceof Error ? error.message : String(error)}; retrying in ${Math.min(delayMs * 2, 5_000)} ms`,
        );
      }
    }
  }

  private async readCheckpoint(): Promise<void> {
    const checkpoint = await getActiveCheckpoint(this.storage);
    if (!checkpoint) return;
    const previous = this.latest?.checkpoint;
    const sameStream = previous?.syncRulesId === checkpoint.syncRulesId;
    if (sameStream && previous.checkpoint === checkpoint.checkpoint && previous.lsn === checkpoint.lsn)
      return;

    let changedBuckets: Set<string> | null = null;
    let parametersChanged = true;
    if (sameStream) {
      const [buckets, parameters] = await Promise.all([
        getChangedBuckets(this.storage, checkpoint.syncRulesId, previous.checkpoint),
        hasParameterChanges(this.storage, checkpoint.syncRulesId, previous.checkpoint, checkpoint.checkpoint),
      ]);
      changedBuckets = new Set(buckets);
      parametersChanged = parameters;
    }
    const writeCheckpoints = await this.readWriteCheckpoints(previous?.lsn ?? null, checkpoint.lsn);
    const delayMs = this.faultDelayMs + streamLatencyMs(this.costKnob, this.listeners.size);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const update: CheckpointUpdate = {
      checkpoint,
      changedBuckets,
      parametersChanged,
      writeCheckpoints,
      previous: sameStream ? previous.checkpoint : null,
    };
    await Promise.all(
      this.preparers.map((prepare) =>
        prepare(update).catch((error: unknown) =>
          this.log.warn(
            `Preparing checkpoint ${checkpoint.checkpoint} failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        ),
      ),
    );
    this.latest = update;
    for (const listener of this.listeners) listener(this.latest);
  }

  private async readWriteCheckpoints(
    after: string | null,
    upTo: string | null,
  ): Promise<Map<string, bigint>> {
    const changed = new Map<string, bigint>();
    if (upTo === null) return changed;
    const { rows } = await this.storage.query<{ user_id: string; write_checkpoint: string }>(
      `SELECT user_id, write_checkpoint FROM powersync.write_checkpoints
       WHERE processed_at_lsn IS NOT NULL AND processed_at_lsn <= $2 AND ($1::text IS NULL OR processed_at_lsn > $1)`,
      [after, upTo],
    );
    for (const row of rows) {
      const value = BigInt(row.write_checkpoint);
      changed.set(row.user_id, value);
      this.writeCheckpoints.set(row.user_id, value);
    }
    return changed;
  }
}
