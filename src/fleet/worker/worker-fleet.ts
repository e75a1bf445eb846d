import { Worker } from 'node:worker_threads';
import type { SampleSink, TrendPart } from '../../metrics/index.js';
import type { Transport } from '../transport/stream-transport.js';
import type { FleetWorkerData, FromWorker, ToWorker } from './worker-messages.js';

/** Where a worker's aggregates go: samples for counters and gauges, merged histograms for trends. */
export interface MergingSink extends SampleSink {
  mergeTrend(metric: string, tags: Record<string, string> | undefined, part: TrendPart): void;
}

/**
 * A fleet in a worker thread, driven like an in-process Fleet (add, remove, size). Its size is mirrored here
 * from the commands sent, so the run's controller never waits on the thread.
 */
export class WorkerFleet {
  private readonly worker: Worker;
  private count = 0;
  private readonly finished: Promise<void>;

  constructor(
    data: Omit<FleetWorkerData, 'flushIntervalMs'> & { flushIntervalMs?: number },
    sink: MergingSink,
  ) {
    this.worker = new Worker(new URL('./fleet-worker.js', import.meta.url), {
      workerData: { flushIntervalMs: 1000, ...data } satisfies FleetWorkerData,
    });
    this.finished = new Promise((resolve) => {
      this.worker.on('message', (message: FromWorker) => {
        for (const trend of message.trends) sink.mergeTrend(trend.metric, trend.tags, trend.part);
        for (const sample of message.samples) sink.add(sample);
        if (message.final) resolve();
      });
      this.worker.on('exit', () => resolve());
      this.worker.on('error', () => resolve());
    });
  }

  get size(): number {
    return this.count;
  }

  add(count: number, overrides: { transport?: Transport } = {}): void {
    this.count += count;
    this.send({ type: 'add', count, transport: overrides.transport });
  }

  remove(count: number, which: 'newest' | 'oldest' = 'newest'): number {
    const removed = Math.min(count, this.count);
    this.count -= removed;
    if (removed > 0) this.send({ type: 'remove', count: removed, which });
    return removed;
  }

  /** See `Fleet.setClockOffset`. */
  setClockOffset(ms: number): void {
    this.send({ type: 'clockOffset', ms });
  }

  /** See `Fleet.measureRowsFrom`. */
  measureRowsFrom(ms: number): void {
    this.send({ type: 'measureRowsFrom', ms });
  }

  /** Stops the clients, waits for the last aggregates (at most 10 s), then ends the thread. */
  async stopAll(): Promise<void> {
    this.count = 0;
    this.send({ type: 'stop' });
    await Promise.race([this.finished, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await this.worker.terminate();
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }
}
