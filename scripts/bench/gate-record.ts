/**
 * Records the gate's per-run statistics from real runs of scenarios/gate.yaml on this machine, for the gate's
 * calibration and power tests and `npm run bench:gate`: N runs for each fault delay, interleaved (delay 0,
 * delay a, delay b, delay 0, …). The delays are the test-only knob SYNCSCALE_FAULT_CHECKPOINT_DELAY_MS,
 * which hands every checkpoint to the streams that many ms late (a slowdown of known size).
 * Usage: npm run bench:gate-record [-- --runs 10 --delays 0,2,8 --out test/fixtures/gate/recorded-runs.json]
 * Sends traffic only to 127.0.0.1 (embedded target); each run stops by itself (max_duration 2m).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadRunResults } from '../../src/analysis/index.js';
import { gateRunOf, type GateRun } from '../../src/gate/index.js';
import { machineFingerprint } from '../../src/probes/index.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    delays: { type: 'string', default: '0,2,8' },
    scenario: { type: 'string', default: 'scenarios/gate.yaml' },
    out: { type: 'string', default: 'test/fixtures/gate/recorded-runs.json' },
  },
});
const RUNS = Number(args.runs);
const DELAYS = args.delays.split(',').map(Number);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-gate-record-'));
const recorded: Record<string, GateRun[]> = Object.fromEntries(DELAYS.map((d) => [String(d), []]));

for (let i = 0; i < RUNS; i++) {
  for (const delay of DELAYS) {
    const reports = path.join(work, `delay-${delay}-${i}`);
    const started = Date.now();
    const result = spawnSync('node', ['bin/syncscale.js', 'run', args.scenario, '--reports-dir', reports], {
      env: { ...process.env, SYNCSCALE_FAULT_CHECKPOINT_DELAY_MS: String(delay) },
      encoding: 'utf8',
    });
    const dir = fs.readdirSync(reports).map((d) => path.join(reports, d))[0];
    if (!dir || (result.status !== 0 && result.status !== 99)) {
      console.log(`run ${i} delay ${delay}: exit ${result.status}; skipped\n${result.stdout.slice(-500)}`);
      continue;
    }
    const run = gateRunOf(loadRunResults(dir), `recorded delay ${delay} ms #${i}`);
    // Keep the statistics only: the fixture must stay small.
    recorded[String(delay)]!.push({ ...run, source: `delay-${delay}-${i}` });
    const e2e = run.values.e2e_p50;
    console.log(
      `run ${i + 1}/${RUNS} delay ${delay} ms: ${((Date.now() - started) / 1000).toFixed(0)} s, valid ${run.valid}, e2e p50 ${typeof e2e === 'number' ? e2e : '-'} ms`,
    );
  }
}
fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(
  args.out,
  JSON.stringify(
    {
      scenario: args.scenario,
      recordedAt: new Date().toISOString(),
      machine: await machineFingerprint(),
      delaysMs: DELAYS,
      runs: recorded,
    },
    null,
    1,
  ) + '\n',
);
fs.rmSync(work, { recursive: true, force: true });
console.log(`wrote ${args.out}`);
