import type { GaugeAggregate } from './aggregates.js';

/** One gauge series: its last value and time, and the least and greatest values seen. */
export class GaugeSink {
  private last = 0;
  private lastTime = 0;
  private min = Infinity;
  private max = -Infinity;

  record(value: number, time: number): void {
    this.last = value;
    this.lastTime = time;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
  }

  aggregate(): GaugeAggregate {
    return { kind: 'gauge', last: this.last, lastTime: this.lastTime, min: this.min, max: this.max };
  }
}
