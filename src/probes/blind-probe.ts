import type { Sample } from '../metrics/index.js';
import type { Probe } from './probe.js';

/**
 * A probe that cannot read anything and says why (`no process id for the API container`), so a run against an
 * external target lists what it was blind to alongside what other probes could not read.
 */
export class BlindProbe implements Probe {
  constructor(
    readonly name: string,
    readonly reason: string,
  ) {}

  async sample(_time: number): Promise<Sample[]> {
    return [];
  }

  unavailable(): string[] {
    return [this.reason];
  }
}
