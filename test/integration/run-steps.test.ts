import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import { finishRun, summaryText } from '../../src/scenario/run-outputs.js';
import { RunState } from '../../src/scenario/run-state.js';
import {
  createClientPools,
  openWriters,
  prepareTarget,
  runJudgedPhase,
  settleStart,
  startProbes,
  type PreparedData,
} from '../../src/scenario/run-steps.js';
import { processesMentioning } from '../support/processes.js';

const TINY = path.resolve(__dirname, '../fixtures/tiny-scenario.yaml');

/**
 * The run orchestrator's steps one at a time, each checked for what it leaves in the run state: what
 * `runScenario` does in one call (run-command.test.ts checks the whole), here step by step.
 */
describe('the steps of syncscale run, one at a time', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-steps-'));
  const output: string[] = [];
  const abort = new AbortController();
  let run: RunState;
  let data: PreparedData;
  afterAll(async () => {
    await run?.stopEverything().catch(() => undefined);
    fs.rmSync(reports, { recursive: true, force: true });
  });

  it('open: creates the run directory, prints the plan and starts run.log', async () => {
    const scenario = await loadScenario(TINY);
    run = await RunState.open(scenario, {
      reportsDir: reports,
      out: (text) => void output.push(text),
      signal: abort.signal,
      progressIntervalMs: 0,
    });
    expect(fs.existsSync(run.dir.path)).toBe(true);
    expect(output.join('')).toContain('syncscale run tiny');
    expect(run.plan.phases.map((p) => p.name)).toEqual(['connect', 'write', 'backlog']);
  });

  it('prepareTarget: starts the embedded service on 127.0.0.1 and loads the dataset', async () => {
    data = await prepareTarget(run);
    expect(run.target!.endpoints.every((e) => e.startsWith('http://127.0.0.1:'))).toBe(true);
    expect(data.rows).toBe(30);
    expect(data.users).toHaveLength(10);
  }, 120_000);

  it('settleStart: waits until the dataset reached a client and records how long it took', async () => {
    await settleStart(run, data);
    expect(run.initialReplication).toMatchObject({ rows: 30 });
    expect(run.initialReplication!.durationMs).toBeGreaterThan(0);
  }, 60_000);

  it('openWriters: a pool on the source database', async () => {
    await openWriters(run);
    const { rows } = await run.source!.query<{ n: string }>('SELECT count(*) AS n FROM todos');
    expect(Number(rows[0]!.n)).toBe(31); // the dataset and the settle sentinel
  });

  it('startProbes: the service processes are read every second', async () => {
    await startProbes(run);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const metrics = new Set(run.registry.snapshot().cumulative.series.map((s) => s.metric));
    expect(metrics.has('process_rss_bytes')).toBe(true);
    expect(metrics.has('generator_rss_bytes')).toBe(true);
  });

  it('createClientPools: one pool per API endpoint', () => {
    createClientPools(run, data.users, 0);
    expect(run.pools).toHaveLength(run.target!.endpoints.length);
  });

  it('runJudgedPhase: clients and writes for the phase, its settle window, thresholds and verdict kept', async () => {
    const record = await runJudgedPhase(run, data, run.scenario.phases[1]!); // write: 5 clients, 10 tx/s
    expect(run.phases).toEqual([record]);
    expect(record.targetClients.end).toBe(5);
    expect(record.writes!.transactions).toBeGreaterThan(20);
    expect(record.settle!.measuredFrom - record.settle!.start).toBeGreaterThanOrEqual(1_900);
    expect(record.thresholds).toEqual([expect.objectContaining({ key: 'checksum_failures', passed: true })]);
    expect(record.actions[0]).toMatchObject({ kind: 'compact' });
    expect(record.validity).toBeDefined();
    // results.json is written after each phase: a crash later keeps it.
    const saved = JSON.parse(fs.readFileSync(path.join(run.dir.path, 'results.json'), 'utf8'));
    expect(saved.phases.map((p: { name: string }) => p.name)).toEqual(['write']);
  }, 60_000);

  it('stopEverything: no service process or database is left running', async () => {
    await run.stopEverything();
    expect(processesMentioning(run.dir.path)).toEqual([]);
  }, 60_000);

  it('finishRun: judges the phases, writes results.json and prints the summary', async () => {
    const verdict = await finishRun(run, false, undefined);
    expect(verdict.exitCode).toBe(0);
    const results = JSON.parse(fs.readFileSync(path.join(run.dir.path, 'results.json'), 'utf8'));
    expect(results.phases.map((p: { name: string }) => p.name)).toEqual(['write']);
    expect(results.validity.valid).toBe(true);
    expect(summaryText(run, 0)).toMatch(/write: clients 5, writes \d+\.\d tx\/s/);
  }, 60_000);
});
