import type { RegistrySnapshot } from '../metrics/index.js';

/**
 * The live progress display: one line every few seconds with phase, time left, clients, writes/s, p99s and
 * errors. Reads the registry's aggregates; never keeps samples of its own.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: (text: string) => void,
    private readonly intervalMs: number,
  ) {}

  phase(name: string, endsAt: number, read: () => { clients: number; snapshot: RegistrySnapshot }): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      const { clients, snapshot } = read();
      const window = snapshot.windows[snapshot.windows.length - 1];
      const seconds = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      const find = (metric: string) => window?.series.filter((s) => s.metric === metric) ?? [];
      const p99 = (metric: string) => {
        const values = find(metric).map((s) => (s.aggregate.kind === 'trend' ? s.aggregate.p99 : NaN));
        const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return finite.length ? `${Math.max(...finite).toFixed(0)}ms` : '-';
      };
      const count = (metric: string) =>
        find(metric).reduce((sum, s) => sum + (s.aggregate.kind === 'counter' ? s.aggregate.count : 0), 0);
      const rate = (metric: string) =>
        find(metric).reduce(
          (sum, s) => sum + (s.aggregate.kind === 'counter' ? (s.aggregate.rate ?? 0) : 0),
          0,
        );
      this.out(
        `[${name}] ${seconds}s left | clients ${clients} | writes ${rate('transactions').toFixed(1)}/s | ` +
          `p99 checkpoint ${p99('checkpoint_latency')} e2e ${p99('e2e_latency')} commit ${p99('write_commit')} | ` +
          `errors ${count('errors')} | checksum failures ${count('checksum_failures')}\n`,
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
