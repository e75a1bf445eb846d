import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { main } from '../../src/cli/index.js';
import { memoryIo } from '../support/memory-io.js';

const ROOT = path.resolve(__dirname, '../..');
const SCENARIO = path.resolve(__dirname, '../fixtures/k8s/external-scenario.yaml');
const KEY = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1rOHM';

/**
 * No cluster here: the manifests are validated statically against the Kubernetes OpenAPI schemas of the
 * `kubernetes-models` package (each object's `validate()`), and their wiring is checked by reading them.
 */
describe('syncscale export k8s', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-k8s-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));
  const env = { SOURCE_URL: 'postgresql://app:hunter2-k8s@db.example.com:5432/app', JWT_K: KEY };

  it('writes an Indexed Job of shards, a coordinator Job, a ConfigMap and a results volume, all schema-valid', async () => {
    const io = memoryIo(ROOT, env);
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const code = await main(
      [
        'node',
        'syncscale',
        'export',
        'k8s',
        SCENARIO,
        '--shards',
        '4',
        '--image',
        'registry.example/syncscale:1',
        '--out',
        out,
        '--run-key',
        'k8s-test',
      ],
      io,
    ).finally(() => (process.env = saved));
    expect(code, io.err).toBe(0);
    const read = (file: string) => parse(fs.readFileSync(path.join(out, file), 'utf8'));
    const shards = read('shards-job.yaml');
    const coordinator = read('coordinator-job.yaml');
    new Job(shards).validate();
    new Job(coordinator).validate();
    new ConfigMap(read('configmap.yaml')).validate();
    new PersistentVolumeClaim(read('results-pvc.yaml')).validate();
    expect(shards.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
    const shard = shards.spec.template.spec.containers[0];
    // The pod's completion index is its shard.
    expect(shard.env[0]).toEqual({
      name: 'SHARD_INDEX',
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    });
    expect(shard.args).toEqual(
      expect.arrayContaining(['--shard', '$(SHARD_INDEX)/4', '--run-key', 'k8s-test']),
    );
    expect(coordinator.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--coordinator', '4', '--shard-results', '/results']),
    );
    // Secrets come from a Secret, by the names the scenario reads with !env; never in the ConfigMap.
    for (const name of ['SOURCE_URL', 'JWT_K'])
      expect(shard.env).toContainEqual({
        name,
        valueFrom: { secretKeyRef: { name: 'syncscale-fleet-on-k8s-secrets', key: name } },
      });
    for (const file of fs.readdirSync(out)) {
      const text = fs.readFileSync(path.join(out, file), 'utf8');
      expect(text, file).not.toContain(KEY);
      expect(text, file).not.toContain('hunter2-k8s');
    }
    const scenarioText = read('configmap.yaml').data['scenario.yaml'] as string;
    expect(scenarioText).toContain('sync_config: ./sync-config.yaml');
    expect(scenarioText).toContain('!env JWT_K');
    expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(
      /kubectl create secret generic syncscale-fleet-on-k8s-secrets/,
    );
  });

  it('refuses a scenario that holds its key literally', async () => {
    const literal = path.join(out, 'literal.yaml');
    fs.writeFileSync(
      literal,
      fs
        .readFileSync(SCENARIO, 'utf8')
        .replace('!env JWT_K', KEY)
        .replace('!env SOURCE_URL', 'postgresql://db.example.com/app')
        .replace('../../../fixtures/sync-config.yaml', path.join(ROOT, 'fixtures/sync-config.yaml')),
    );
    const io = memoryIo(ROOT);
    const code = await main(
      [
        'node',
        'syncscale',
        'export',
        'k8s',
        literal,
        '--shards',
        '2',
        '--image',
        'x',
        '--out',
        path.join(out, 'refused'),
      ],
      io,
    );
    expect(code).toBe(2);
    expect(io.err).toMatch(/holds a secret literally.*!env NAME/);
  });

  it('ships a Dockerfile: Node 20 slim, production dependencies only, the CLI as entrypoint', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/syncscale.js"\]/);
  });
});
