import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { SessionSink } from '../../src/k6/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import { createReplicationDatabases, serviceConfigYaml } from '../support/replication-fixture.js';
import { CliProcess } from '../support/service-process.js';
import { until } from '../support/until.js';

const ROOT = path.resolve(__dirname, '../..');
const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };

/** Nearest-rank percentile of all values (what a percentile of the pooled samples is). */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

/**
 * `syncscale export k6` and `syncscale ingest` (issue 13): the exported script type-checks against
 * @types/k6, its protocol module (the very file k6 loads) syncs from the reference service under Node with
 * checksums validated, and ingest merges per-pod outputs into the pooled distribution.
 */
describe('k6 export and ingest', () => {
  // Inside the repository, so the exported sources find node_modules/@types/k6 when type-checked.
  fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true }); // not in a fresh clone
  const work = fs.mkdtempSync(path.join(ROOT, '.tmp', 'k6-export-'));
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let service: RunningService;
  let scenarioFile: string;
  let out: string;

  beforeAll(async () => {
    db = await createReplicationDatabases('k6_export');
    await db.source.query(`INSERT INTO lists VALUES ('l1', 'one');
      INSERT INTO todos (id, owner_id, title) VALUES ('t1', 'user0', 'x'), ('t2', 'user1', 'y')`);
    service = await startService(
      'unified',
      parseServiceConfig(serviceConfigYaml(db.sourceUrl, db.storageUrl)),
      {
        log: silentLogger,
        env: {},
      },
    );
    scenarioFile = path.join(work, 'scenario.yaml');
    fs.writeFileSync(
      scenarioFile,
      `name: k6-demo
target:
  external:
    endpoint: http://127.0.0.1:${service.port}
    source_database_url: ${db.sourceUrl}
    token: { key: { k: ${KEY.k}, kid: ${KEY.kid} }, audience: syncscale }
dataset: { users: 2, sync_config: ${path.join(ROOT, 'fixtures/sync-config.yaml')} }
phases:
  - { name: warm, duration: 2s, clients: { ramp: { from: 0, to: 4 } } }
  - { name: hold, duration: 3s, clients: { constant: 4 } }
`,
    );
    out = path.join(work, 'export');
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('exports script, modules, config and k6-operator manifests; the TypeScript type-checks against @types/k6', async () => {
    const child = new CliProcess(['export', 'k6', scenarioFile, '--out', out, '--pods', '3']);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    for (const file of [
      'script.js',
      'rsocket-session.js',
      'wire.js',
      'sync-state.js',
      'config.json',
      'k8s/testrun.yaml',
      'k8s/configmap.yaml',
      'k8s/output-pvc.yaml',
      'src/k6-script.ts',
    ])
      expect(fs.existsSync(path.join(out, file)), file).toBe(true);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config.websocketUrl).toBe(`ws://127.0.0.1:${service.port}/sync/stream`);
    expect(config.key).toEqual({ k: KEY.k, kid: KEY.kid, audience: 'syncscale' });
    expect(config.stages).toEqual([
      { duration: '2000ms', target: 4 },
      { duration: '3000ms', target: 4 },
      { duration: '5s', target: 0 },
    ]);
    const testrun = fs.readFileSync(path.join(out, 'k8s/testrun.yaml'), 'utf8');
    expect(testrun).toContain('parallelism: 3');
    expect(testrun).toContain('subPathExpr: $(POD_NAME)');
    // Only relative imports of files that exist, and k6's own modules.
    for (const file of ['script.js', 'rsocket-session.js', 'wire.js', 'sync-state.js']) {
      const imports = [...fs.readFileSync(path.join(out, file), 'utf8').matchAll(/from '([^']+)'/g)].map(
        (m) => m[1]!,
      );
      for (const spec of imports) {
        if (spec.startsWith('k6')) continue;
        expect(spec, `${file} imports ${spec}`).toMatch(/^\.\/[a-z-]+\.js$/);
        expect(fs.existsSync(path.join(out, spec)), `${file} imports ${spec}`).toBe(true);
      }
    }
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(out, 'src')],
      {
        stdio: 'pipe',
      },
    );
  }, 60_000);

  it('the exported protocol module (the file k6 loads) syncs from the service with checksums validated', async () => {
    const { RSocketSyncSession, signToken } = (await import(
      path.join(out, 'rsocket-session.js')
    )) as typeof import('../../src/k6/index.js');
    const trends = new Map<string, number[]>();
    const counts = new Map<string, number>();
    const sink: SessionSink = {
      trend: (metric, value) => trends.set(metric, [...(trends.get(metric) ?? []), value]),
      count: (metric, value, tags) => {
        const key = tags?.code ? `${metric}{${tags.code}}` : metric;
        counts.set(key, (counts.get(key) ?? 0) + value);
      },
    };
    const secret = Buffer.from(KEY.k, 'base64url');
    const token = signToken({
      sub: 'user0',
      audience: 'syncscale',
      kid: KEY.kid,
      lifetimeSeconds: 300,
      nowSeconds: Date.now() / 1000,
      hmacSha256: (input) => new Uint8Array(createHmac('sha256', secret).update(input).digest()),
    });
    const ws = new WebSocket(`ws://127.0.0.1:${service.port}/sync/stream`);
    ws.binaryType = 'arraybuffer';
    const session = new RSocketSyncSession(
      { sendBinary: (frame) => ws.send(frame), close: () => ws.close() },
      sink,
      { token, clientId: 'k6-test', now: () => Date.now(), stampColumn: 'ss_ts' },
    );
    ws.on('open', () => session.open());
    ws.on('message', (data: ArrayBuffer) => session.onBinary(data));
    ws.on('close', () => session.onClose());
    try {
      await until(() => (trends.get('first_checkpoint')?.length ?? 0) === 1, 'the first checkpoint');
      expect(counts.get('ops_received')).toBeGreaterThanOrEqual(2); // l1 and the user's todo
      // More lines than the initial credit of 10 (three per checkpoint): the session must top it up.
      await db.source.query(
        `INSERT INTO todos (id, owner_id, title) SELECT 'n' || g, 'user0', 'z' FROM generate_series(1, 30) g`,
      );
      // Each update waits for the checkpoint that carries it, so none share one (the service batches
      // transactions that arrive together): at least 3 lines per checkpoint over 8 checkpoints.
      for (let i = 0; i < 8; i++) {
        const before = counts.get('checkpoints_completed') ?? 0;
        await db.source.query(`UPDATE todos SET title = 'v${i}' WHERE id = 't1'`);
        await until(() => (counts.get('checkpoints_completed') ?? 0) > before, `checkpoint ${i + 1}`);
      }
      await until(() => (counts.get('ops_received') ?? 0) >= 2 + 30 + 8, 'every op');
      expect(counts.get('checkpoints_completed')).toBeGreaterThan(8);
      expect(counts.get('checksum_failures') ?? 0).toBe(0);
      expect(session.ended).toBeUndefined();
      expect(trends.get('checkpoint_latency')?.length).toBeGreaterThan(0);
    } finally {
      ws.close();
    }
  }, 60_000);

  it('ingest merges pods into the pooled distribution (never an average of p99s) and windows the phases', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    const start = Date.parse('2026-12-04T10:00:00Z');
    const tags = {
      syncscale_hash: config.scenarioHash,
      syncscale_scenario: 'k6-demo',
      scenario: 'sync_clients',
    };
    const point = (metric: string, atMs: number, value: number, extra: Record<string, string> = {}) =>
      JSON.stringify({
        type: 'Point',
        metric,
        data: { time: new Date(start + atMs).toISOString(), value, tags: { ...tags, ...extra } },
      });
    // Three pods with different first-checkpoint distributions: one slow pod dominates the tail.
    const pods = [
      Array.from({ length: 500 }, (_, i) => 10 + (i % 50)),
      Array.from({ length: 500 }, (_, i) => 20 + (i % 80)),
      Array.from({ length: 50 }, (_, i) => 400 + i * 10),
    ];
    const files = pods.map((values, pod) => {
      const lines = [
        JSON.stringify({
          type: 'Metric',
          metric: 'first_checkpoint',
          data: { type: 'trend', contains: 'time' },
        }),
        ...values.map((v, i) => point('first_checkpoint', (i * 1900) / values.length, v)), // all in "warm" (0–2 s)
        point('ops_received', 2500, 100 * (pod + 1)), // "hold"
        point('errors', 2600, 1, { code: 'PSYNC_S2304' }),
        point('vus', 100, 4), // k6's own metric: skipped
      ];
      const file = path.join(work, `pod-${pod}.json`);
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    });
    const reports = path.join(work, 'reports');
    const child = new CliProcess(['ingest', ...files, '--scenario', scenarioFile, '--reports-dir', reports]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(reports);
    const results = JSON.parse(fs.readFileSync(path.join(reports, runId!, 'results.json'), 'utf8'));
    const series = (
      window: {
        series: Array<{ metric: string; tags: Record<string, string>; aggregate: Record<string, number> }>;
      },
      metric: string,
      tag?: string,
    ) =>
      window.series.find(
        (s) => s.metric === metric && (tag ? s.tags.code === tag : Object.keys(s.tags).length === 0),
      )?.aggregate;
    const pooled = pods.flat();
    const merged = series(results.cumulative, 'first_checkpoint')!;
    expect(merged.n).toBe(pooled.length);
    expect(Math.abs(merged.p99! - percentile(pooled, 99)) / percentile(pooled, 99)).toBeLessThan(0.01);
    expect(Math.abs(merged.p50! - percentile(pooled, 50)) / percentile(pooled, 50)).toBeLessThan(0.01);
    const averagedP99 = pods.map((v) => percentile(v, 99)).reduce((a, b) => a + b, 0) / pods.length;
    expect(Math.abs(merged.p99! - averagedP99)).toBeGreaterThan(50); // the naive answer is far off
    const [warm, hold] = results.phases;
    expect(series(warm.aggregates, 'first_checkpoint')!.n).toBe(pooled.length);
    expect(series(hold.aggregates, 'ops_received')!.count).toBe(600);
    expect(series(hold.aggregates, 'errors', 'PSYNC_S2304')!.count).toBe(3);
    expect(series(results.cumulative, 'vus')).toBeUndefined();
    expect(results.loadGenerator).toMatchObject({ kind: 'k6', files: 3 });

    // The run is a syncscale run: report renders it.
    const report = new CliProcess(['report', path.join(reports, runId!)]);
    expect((await report.exited).code, report.output).toBe(0);
  }, 60_000);

  it('hands out pre-made tokens instead of a key: from --tokens, or minted by the scenario token command', async () => {
    const list = path.join(work, 'tokens.txt');
    fs.writeFileSync(list, 'tok-a\ntok-b\ntok-c\n');
    const fromFile = path.join(work, 'export-tokens');
    const first = new CliProcess(['export', 'k6', scenarioFile, '--out', fromFile, '--tokens', list]);
    expect((await first.exited).code, first.output).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(fromFile, 'config.json'), 'utf8'));
    expect(config.tokens).toEqual(['tok-a', 'tok-b', 'tok-c']);
    expect(config.key).toBeUndefined();

    const byCommand = path.join(work, 'command.yaml');
    fs.writeFileSync(
      byCommand,
      fs
        .readFileSync(scenarioFile, 'utf8')
        .replace(/token: \{[^\n]*\}/, "token: { command: 'echo tok-$SYNCSCALE_USER_ID' }"),
    );
    const minted = path.join(work, 'export-command');
    const second = new CliProcess(['export', 'k6', byCommand, '--out', minted]);
    expect((await second.exited).code, second.output).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(minted, 'config.json'), 'utf8')).tokens).toEqual([
      'tok-user0',
      'tok-user1',
    ]);
  }, 60_000);

  it('names bad input: not k6 output, pods of another scenario, a scenario k6 cannot reach', async () => {
    const notK6 = path.join(work, 'not-k6.json');
    fs.writeFileSync(notK6, '{"metric":"x"}\n');
    const ingest = (file: string, reports: string) =>
      new CliProcess(['ingest', file, '--scenario', scenarioFile, '--reports-dir', path.join(work, reports)]);
    const first = ingest(notK6, 'r1');
    expect((await first.exited).code).toBe(2);
    expect(first.output).toContain(`[SSCALE_K0002] ${notK6}:1:`);

    const other = path.join(work, 'other-pod.json');
    fs.writeFileSync(
      other,
      `${JSON.stringify({ type: 'Point', metric: 'first_checkpoint', data: { time: new Date().toISOString(), value: 5, tags: { syncscale_hash: 'feedfacefeedface', syncscale_scenario: 'other' } } })}\n`,
    );
    const second = ingest(other, 'r2');
    expect((await second.exited).code).toBe(2);
    expect(second.output).toMatch(/\[SSCALE_K0003\] .*other-pod\.json:1: samples of scenario other/);

    const embedded = path.join(work, 'embedded.yaml');
    fs.writeFileSync(
      embedded,
      `name: local\ndataset: { sync_config: ${path.join(ROOT, 'fixtures/sync-config.yaml')} }\nphases:\n  - { name: p, duration: 1s, clients: { constant: 1 } }\n`,
    );
    const third = new CliProcess(['export', 'k6', embedded, '--out', path.join(work, 'x')]);
    expect((await third.exited).code).toBe(2);
    expect(third.output).toContain(
      '[SSCALE_K0001] local: k6 pods need a deployment they can reach and a token for each user',
    );
  }, 60_000);
});
