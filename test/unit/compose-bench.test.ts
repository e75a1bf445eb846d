import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { loadScenario } from '../../src/scenario/index.js';

const root = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.bench.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, Record<string, unknown>>;
};
const services = compose.services;

function dependsOn(service: Record<string, unknown>): string[] {
  const deps = service.depends_on;
  if (!deps) return [];
  return Array.isArray(deps) ? (deps as string[]) : Object.keys(deps as object);
}

/**
 * docker-compose.bench.yml validated statically (no Docker engine on the development machines): structure,
 * references, ports, healthchecks and the files it mounts; `docker compose config` when a compose binary exists.
 */
describe('docker-compose.bench.yml', () => {
  it('has the seed topology: source, MongoDB replica set, migrate, one replicator, two APIs, compact, LB, Prometheus, runner', () => {
    for (const name of [
      'postgres',
      'mongo',
      'mongo-init',
      'migrate',
      'replicator',
      'api-1',
      'api-2',
      'compact',
      'lb',
      'prometheus',
      'syncscale',
    ])
      expect(services[name], name).toBeDefined();
    const image = (name: string) => services[name]!.image as string;
    for (const name of ['migrate', 'replicator', 'api-1', 'api-2', 'compact'])
      expect(image(name)).toMatch(/^journeyapps\/powersync-service:/);
    expect(services.replicator!.command).toEqual(['start', '-r', 'sync']);
    expect(services['api-1']!.command).toEqual(['start', '-r', 'api']);
    expect(services.migrate!.command).toEqual(['migrate', 'up']);
    expect(services.compact!.command).toEqual(['compact']);
    expect((services.postgres!.command as string[]).join(' ')).toContain('wal_level=logical');
    expect((services.mongo!.command as string[]).join(' ')).toContain('--replSet rs0');
    expect((services['mongo-init']!.command as string[]).join(' ')).toContain('rs.initiate');
  });

  it('every dependency names a service, healthy waits only on services with a healthcheck, and host ports are unique', () => {
    const ports: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const dep of dependsOn(service)) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        const condition = (service.depends_on as Record<string, { condition?: string }>)[dep]?.condition;
        if (condition === 'service_healthy')
          expect(services[dep]!.healthcheck, `${dep} needs a healthcheck`).toBeDefined();
      }
      for (const port of (service.ports as string[] | undefined) ?? []) ports.push(port.split(':')[0]!);
    }
    expect(new Set(ports).size).toBe(ports.length);
    for (const name of ['postgres', 'mongo', 'replicator', 'api-1', 'api-2'])
      expect(services[name]!.healthcheck, name).toBeDefined();
  });

  it('mounts files that exist, and the configs parse', async () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const host = volume.split(':')[0]!;
        if (host === '.') continue;
        expect(fs.existsSync(path.join(root, host)), `${name}: ${host}`).toBe(true);
      }
    }
    // The service config is the real service's format. The reference service validates the same subset, all
    // but MongoDB storage (which it does not implement), so the file is checked with storage swapped.
    const text = fs.readFileSync(path.join(root, 'fixtures/bench/powersync.yaml'), 'utf8');
    expect(parse(text.replace(/!env \w+/g, 'x'))).toMatchObject({
      storage: { type: 'mongodb' },
      telemetry: { prometheus_port: 9464 },
    });
    const asPostgres = text
      .replace('type: mongodb', 'type: postgresql')
      .replace(/uri: mongodb:\/\/\S+/, 'uri: postgresql://postgres@storage:5432/powersync');
    const loaded = parseServiceConfig(asPostgres, {
      env: { PS_JWT_SECRET_B64URL: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' },
      baseDir: path.join(root, 'fixtures'),
    });
    expect(loaded.config.port).toBe(8080);
    const nginx = fs.readFileSync(path.join(root, 'fixtures/bench/nginx.conf'), 'utf8');
    for (const directive of [
      'proxy_buffering off',
      'proxy_read_timeout 3600s',
      'Upgrade $http_upgrade',
      'server api-1:8080',
      'server api-2:8080',
    ])
      expect(nginx).toContain(directive);
    const prometheus = parse(fs.readFileSync(path.join(root, 'fixtures/bench/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    expect(prometheus.scrape_configs[0]!.static_configs[0]!.targets.sort()).toEqual([
      'api-1:9464',
      'api-2:9464',
      'replicator:9464',
    ]);
    const scenario = await loadScenario(path.join(root, 'fixtures/bench/scenario-compose.yaml'), {
      env: { PS_JWT_SECRET_B64URL: 'c2VjcmV0' },
    });
    if (scenario.target.kind !== 'external') throw new Error('expected an external target');
    expect(scenario.target.processes.map((p) => p.role)).toEqual(['api', 'api', 'replicator']);
    expect(scenario.target.storage).toMatchObject({ kind: 'mongodb' });
  });

  const composeBinary = ['docker', 'podman'].find(
    (bin) => spawnSync(bin, ['compose', 'version']).status === 0,
  );
  it.skipIf(!composeBinary)(
    `docker compose config accepts it (${composeBinary ?? 'skipped: no compose binary on this machine'})`,
    () => {
      const result = spawnSync(
        composeBinary!,
        ['compose', '-f', 'docker-compose.bench.yml', 'config', '--quiet'],
        { cwd: root, encoding: 'utf8' },
      );
      expect(result.status, result.stderr).toBe(0);
    },
  );
});
