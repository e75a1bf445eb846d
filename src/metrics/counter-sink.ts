import type { CounterAggregate } from './aggregates.js';

/** One counter series: the running sum of its samples. */
export class CounterSink {
  private sum = 0;

  record(value: number): void {
    this.sum += value;
  }

  /** The sum and its rate over a window of `seconds` (`null` rate for a window with no duration). */
  aggregate(seconds: number): CounterAggregate {
    return { kind: 'counter', count: this.sum, rate: seconds > 0 ? this.sum / seconds : null };
  }
}
