/**
 * The gate's measured false-positive rate and power, from per-run figures recorded on this machine
 * (`npm run bench:gate-record`): A/A comparisons of the unfaulted runs against each other, and A/B against
 * runs with the test-only checkpoint delay (a slowdown of known size relative to the baseline's p50
 * end-to-end latency). Prints each rate with the trials behind it.
 * Usage: npm run bench:gate [-- --file test/fixtures/gate/recorded-runs.json --k 5 --trials 200 --delta 5%]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { GATE_METRICS, median, recordedTrials, type GateRun } from '../../src/gate/index.js';

const { values: args } = parseArgs({
  options: {
    file: { type: 'string', default: 'test/fixtures/gate/recorded-runs.json' },
    k: { type: 'string', default: '5' },
    trials: { type: 'string', default: '200' },
    delta: { type: 'string', default: '5%' },
  },
});
const recorded = JSON.parse(fs.readFileSync(args.file, 'utf8')) as {
  delaysMs: number[];
  runs: Record<string, GateRun[]>;
};
const k = Number(args.k);
const trials = Number(args.trials);
const delta = Number(args.delta.replace('%', '')) / 100;
const base = recorded.runs['0']!;
const p50 = median(base.map((r) => r.values.e2e_p50).filter((v): v is number => typeof v === 'number'));
console.log(
  `recorded: ${Object.entries(recorded.runs)
    .map(([d, r]) => `${r.length} runs at delay ${d} ms`)
    .join(', ')}`,
);
console.log(`baseline p50 end-to-end latency ${p50.toFixed(2)} ms (median of runs)`);
for (const metric of GATE_METRICS) {
  const values = base.map((r) => r.values[metric.id]).filter((v): v is number => typeof v === 'number');
  if (values.length === 0) continue;
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m))) / Math.abs(m);
  console.log(
    `  noise ${metric.id}: median ${m.toPrecision(4)} ${metric.unit}, relative MAD ${(mad * 100).toFixed(1)} %`,
  );
}
const options = { delta, alpha: 0.05, level: 0.95, metrics: GATE_METRICS, force: false, k, trials, seed: 1 };
const rate = (outcomes: string[], outcome: string) => outcomes.filter((o) => o === outcome).length;
const aa = recordedTrials(base, base, options);
console.log(
  `A/A k=${k}: regression ${rate(aa, 'regression')}/${trials} (false-positive rate ${((rate(aa, 'regression') / trials) * 100).toFixed(1)} %), inconclusive ${rate(aa, 'inconclusive')}, no regression ${rate(aa, 'no-regression')}`,
);
for (const delay of recorded.delaysMs.filter((d) => d > 0)) {
  const outcomes = recordedTrials(base, recorded.runs[String(delay)]!, options);
  console.log(
    `A/B delay ${delay} ms (+${((delay / p50) * 100).toFixed(0)} % of p50 e2e) k=${k}: regression ${rate(outcomes, 'regression')}/${trials} (power ${((rate(outcomes, 'regression') / trials) * 100).toFixed(1)} %)`,
  );
}
