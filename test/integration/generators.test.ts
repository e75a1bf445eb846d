import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { memoryIo } from '../support/memory-io.js';
import { processesMentioning } from '../support/processes.js';
import { CliProcess } from '../support/service-process.js';

const TINY = path.resolve(__dirname, '../fixtures/tiny-scenario.yaml');
const ROOT = path.resolve(__dirname, '../..');

interface Series {
  metric: string;
  tags: Record<string, string>;
  aggregate: { kind: string; n?: number; p99?: number; count?: number };
}
interface Phase {
  name: string;
  targetClients: { start: number; end: number };
  aggregates: { start: number; end: number; series: Series[] };
  validity: { valid: boolean; reasons: string[] };
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const e2eOf = (p: Phase) =>
  p.aggregates.series.find((s) => s.metric === 'e2e_latency' && Object.keys(s.tags).length === 0)?.aggregate;

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * `--generators N`: the same code path as shards on other machines (the barrier on the source database, one
 * schedule, the merge), with N shard processes and the coordinator on this machine.
 */
describe('syncscale run --generators 2', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-generators-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('runs the scenario’s clients in 2 shards, merges them exactly, and leaves no process behind', async () => {
    const out = path.join(reports, 'ok');
    const child = new CliProcess(['run', TINY, '--generators', '2', '--reports-dir', out]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(out);
    const dir = path.join(out, runId!);
    const results = readJson(path.join(dir, 'results.json'));
    expect(results.status).toBe('completed');
    expect(results.distributed).toMatchObject({ role: 'coordinator', shards: 2, complete: true });
    // The scenario's client counts: 5 per phase, split 3 + 2.
    for (const phase of results.phases as Phase[]) expect(phase.targetClients.end).toBe(5);
    const shards = [0, 1].map((i) => {
      const shardDir = path.join(dir, 'shards', `shard-${i}`);
      const [id] = fs.readdirSync(shardDir);
      return { dir: path.join(shardDir, id!), results: readJson(path.join(shardDir, id!, 'results.json')) };
    });
    expect(shards.map((s) => (s.results.phases as Phase[])[0]!.targetClients.end).sort()).toEqual([2, 3]);
    // One schedule: every member ends each phase at its slot's end, whatever it did between phases.
    const coordinator = readJson(path.join(dir, 'results.coordinator.json'));
    for (const [i, own] of (coordinator.phases as Array<{ end: number }>).entries())
      for (const shard of shards)
        expect(Math.abs((shard.results.phases as Array<{ end: number }>)[i]!.end - own.end)).toBeLessThan(
          500,
        );
    // Each shard measured its clock against the source database; the coordinator records both.
    for (const m of results.distributed.members)
      expect(Math.abs(m.clockOffset.before.offsetMs)).toBeLessThan(100);
    // Pooled: the merged e2e trend holds every shard's samples, its p99 within HDR precision of the samples'.
    const write = (results.phases as Phase[]).find((p) => p.name === 'write')!;
    const merged = e2eOf(write)!;
    // What the shards' settle windows left out is the merged phase's too.
    const settled = (p: { settle?: { excludedSamples: Record<string, number> } }) =>
      p.settle?.excludedSamples.e2e_latency ?? 0;
    const shardWrites = shards.map((s) => (s.results.phases as Phase[]).find((p) => p.name === 'write')!);
    expect(merged.n).toBe(shardWrites.reduce((sum, p) => sum + (e2eOf(p)?.n ?? 0), 0));
    expect(merged.n).toBeGreaterThan(10);
    expect(settled(write as never)).toBe(shardWrites.reduce((sum, p) => sum + settled(p as never), 0));
    const samples = shards.flatMap((s, i) => {
      const window = shardWrites[i]!.aggregates;
      return fs
        .readFileSync(path.join(s.dir, 'samples.ndjson'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"e2e_latency"'))
        .map((l) => JSON.parse(l) as { time: number; value: number })
        .filter((x) => x.time >= window.start && x.time <= window.end)
        .map((x) => x.value);
    });
    const exact = percentile(samples, 99);
    expect(Math.abs(merged.p99! - exact)).toBeLessThanOrEqual(Math.max(1, exact * 0.01));
    // A load generator's own gauges stay apart, one series per generator.
    const generators = write.aggregates.series
      .filter((s) => s.metric === 'generator_rss_bytes')
      .map((s) => s.tags.generator)
      .sort();
    expect(generators).toEqual(['coordinator', 'shard-0', 'shard-1']);
    expect(processesMentioning(dir)).toEqual([]);

    // `syncscale merge` makes the same merge from the directories alone (shards collected by hand).
    const io = memoryIo(ROOT);
    const code2 = await main(['node', 'syncscale', 'merge', dir, ...shards.map((s) => s.dir).reverse()], io);
    expect(code2, io.err).toBe(0);
    expect(io.out).toMatch(/Merged 2 shard\(s\) into .*: 3 phases, complete; run valid/);
    const again = readJson(path.join(dir, 'results.json'));
    const againWrite = (again.phases as Phase[]).find((p) => p.name === 'write')!;
    expect(e2eOf(againWrite)!.n).toBe(merged.n);
    expect(e2eOf(againWrite)!.p99).toBe(merged.p99);
    expect((again.phases as Phase[]).map((p) => p.targetClients.end)).toEqual([5, 5, 5]);
    expect(fs.existsSync(path.join(dir, 'results.coordinator.json'))).toBe(true);
  }, 240_000);

  it('names a shard killed mid-run and marks the run incomplete', async () => {
    const out = path.join(reports, 'killed');
    const child = new CliProcess(['run', TINY, '--generators', '2', '--reports-dir', out]);
    // Kill shard 1 once the coordinator's second phase has begun.
    const deadline = Date.now() + 120_000;
    let killed = false;
    while (!killed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const [runId] = fs.existsSync(out) ? fs.readdirSync(out) : [];
      // The run directory exists a moment before its run.log does.
      const logFile = runId ? path.join(out, runId, 'run.log') : undefined;
      if (!logFile || !fs.existsSync(logFile)) continue;
      const log = fs.readFileSync(logFile, 'utf8');
      const pid = /shard 1 started: pid (\d+)/.exec(log)?.[1];
      if (pid && /^\S+ phase write started/m.test(log)) {
        process.kill(Number(pid), 'SIGKILL');
        killed = true;
      }
    }
    expect(killed).toBe(true);
    const { code } = await child.exited;
    const [runId] = fs.readdirSync(out);
    const results = readJson(path.join(out, runId!, 'results.json'));
    expect(results.status).toBe('incomplete');
    expect(results.distributed.complete).toBe(false);
    const lost = results.distributed.members.find((m: { index: number }) => m.index === 1);
    expect(lost.problem).toMatch(/shard 1/);
    // The phases it did not measure are left out, named; the write phase carries a threshold: exit 98.
    const write = (results.phases as Phase[]).find((p) => p.name === 'write')!;
    expect(write.validity.valid).toBe(false);
    expect(write.validity.reasons.join()).toMatch(/shard 1/);
    expect(code).toBe(98);
    expect(processesMentioning(path.join(out, runId!))).toEqual([]);
  }, 240_000);
});
