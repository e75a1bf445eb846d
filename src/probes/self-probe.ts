import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import type { Sample } from '../metrics/index.js';
import { ProbeMetric, type Probe } from './probe.js';

export interface SelfProbeOptions {
  /** `process` tag (a fleet worker names itself). Default `generator`. */
  label?: string;
  /** Event-loop delay sampling resolution. Default 10 ms. */
  resolutionMs?: number;
}

/**
 * Event-loop delay: a timer due every `resolution` ms records how late it fired into a histogram that is
 * reset per interval. Not `perf_hooks.monitorEventLoopDelay`: its `reset()` also forgets when its timer last
 * fired, so a stall that starts within one resolution after a reset is never recorded (Node 20; the probe test
 * blocks right after a sample to catch exactly this), and it reports whole intervals, resolution included.
 */
class EventLoopDelayMonitor {
  readonly histogram: RecordableHistogram = createHistogram();
  private readonly timer: NodeJS.Timeout;
  private last = performance.now();

  constructor(private readonly resolutionMs: number) {
    this.timer = setInterval(() => this.record(), resolutionMs);
    this.timer.unref();
  }

  /** p99 and max lateness (ms) since the last reset, or undefined when the timer has not fired. */
  read(): { p99: number; max: number } | undefined {
    this.record(false); // a stall that just ended, before the timer could fire, belongs to this interval
    if (this.histogram.count === 0) return undefined;
    return { p99: this.histogram.percentile(99) / 1e6, max: this.histogram.max / 1e6 };
  }

  reset(): void {
    this.histogram.reset();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** From the timer, every firing counts; from `read`, only once the timer is overdue. */
  private record(fromTimer = true): void {
    const now = performance.now();
    const lateMs = now - this.last - this.resolutionMs;
    if (!fromTimer && lateMs <= 0) return;
    this.histogram.record(Math.max(1, Math.round(Math.max(0, lateMs) * 1e6)));
    this.last = now;
  }
}

/**
 * The load generator measuring itself (house style: measure the measurer): event-loop delay p99 and max over
 * each interval (ms late beyond the timer resolution; reset after every sample), CPU share
 * (`process.cpuUsage()` delta over wall time, in cores), RSS and heap used. `saturation()` reads these samples.
 */
export class SelfProbe implements Probe {
  readonly name: string;
  private readonly label: string;
  private readonly delay: EventLoopDelayMonitor;
  private previous: { cpu: NodeJS.CpuUsage; at: number };
  private closed = false;

  constructor(options: SelfProbeOptions = {}) {
    this.label = options.label ?? 'generator';
    this.name = `self ${this.label}`;
    this.delay = new EventLoopDelayMonitor(options.resolutionMs ?? 10);
    this.previous = { cpu: process.cpuUsage(), at: performance.now() };
  }

  async sample(time: number): Promise<Sample[]> {
    if (this.closed) return [];
    const tags = { process: this.label };
    const samples: Sample[] = [];
    const delay = this.delay.read();
    this.delay.reset();
    if (delay) {
      samples.push({ metric: ProbeMetric.selfEventLoopDelayP99, value: delay.p99, time, tags });
      samples.push({ metric: ProbeMetric.selfEventLoopDelayMax, value: delay.max, time, tags });
    }
    const at = performance.now();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - this.previous.cpu.user + (cpu.system - this.previous.cpu.system);
    const wallMicros = (at - this.previous.at) * 1000;
    if (wallMicros > 0) {
      samples.push({
        metric: ProbeMetric.selfCpuShare,
        value: Math.max(0, usedMicros / wallMicros),
        time,
        tags,
      });
    }
    this.previous = { cpu, at };
    const memory = process.memoryUsage();
    samples.push({ metric: ProbeMetric.selfRssBytes, value: memory.rss, time, tags });
    samples.push({ metric: ProbeMetric.selfHeapUsedBytes, value: memory.heapUsed, time, tags });
    return samples;
  }

  /** The generator can always read itself. */
  unavailable(): string[] {
    return [];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.delay.stop();
  }
}
