import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/fleet/index.js';
import { freePort } from '../../src/postgres/index.js';
import { parsePrometheusText } from '../../src/probes/index.js';
import { createReplicationDatabases, serviceConfigYaml } from '../support/replication-fixture.js';
import { trackOwnedHandles } from '../support/owned-handles.js';
import { CliProcess, writeTempConfig } from '../support/service-process.js';
import { until } from '../support/until.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };

/**
 * Connect/disconnect churn against the service as its own process (issue 15): afterwards its open streams,
 * the listeners streams hold on process-wide emitters and its active handles are back at their idle values,
 * neither process printed a MaxListenersExceededWarning, and the fleet holds no socket or timer. The same
 * at 10,000 streams for minutes is `npm run bench:soak`.
 */
describe('soak: connect/disconnect churn leaves nothing behind', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let config: ReturnType<typeof writeTempConfig>;
  let service: CliProcess;
  let port: number;
  let metricsPort: number;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);

  const metrics = async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const values = new Map<string, number>();
    for (const sample of parsePrometheusText(text).series) {
      if (Object.keys(sample.labels).length === 0) values.set(sample.name, sample.value);
    }
    return {
      streams: values.get('powersync_concurrent_connections') ?? NaN,
      listeners: values.get('syncscale_stream_listeners') ?? NaN,
      handles: values.get('nodejs_active_handles_total') ?? NaN,
    };
  };

  beforeAll(async () => {
    process.on('warning', onWarning);
    db = await createReplicationDatabases('soak');
    const users = Array.from({ length: 400 }, (_, i) => `('t${i}', 'user-${i}', 'x')`).join(',');
    await db.source.query(
      `INSERT INTO lists VALUES ('l1', 'one'); INSERT INTO todos (id, owner_id, title) VALUES ${users}`,
    );
    port = await freePort();
    metricsPort = await freePort();
    config = writeTempConfig(
      serviceConfigYaml(db.sourceUrl, db.storageUrl).replace(
        'port: 0',
        `port: ${port}\ntelemetry: { prometheus_port: ${metricsPort}, disable_telemetry_sharing: true }\napi:\n  parameters:\n    max_concurrent_connections: 1000`,
      ),
    );
    service = new CliProcess(['service', 'start', '-r', 'unified', '-c', config.path]);
    await until(
      () =>
        metrics().then(
          () => true,
          () => false,
        ),
      'the service to answer on its metrics port',
      60_000,
      100,
    );
  }, 120_000);

  afterAll(async () => {
    process.off('warning', onWarning);
    service?.kill('SIGTERM');
    await service?.exited;
    config?.cleanup();
    await db?.drop();
  });

  it('streams, listeners and handles return to idle; no leak warning in either process', async () => {
    // Idle: served (one stream opened and closed), nothing open.
    const probe = new Fleet({
      endpoint: `http://127.0.0.1:${port}`,
      auth: { key: KEY, audience: 'syncscale' },
      sink: { add: () => undefined },
    });
    probe.add(1);
    await until(() => probe.snapshot().synced === 1, 'the service to serve streams', 60_000);
    probe.stopAll();
    await until(async () => (await metrics()).streams === 0, 'the probe stream to close', 30_000, 100);
    const idle = await metrics();

    const handles = trackOwnedHandles();
    try {
      const fleet = handles.run(
        () =>
          new Fleet({
            endpoint: `http://127.0.0.1:${port}`,
            auth: { key: KEY, audience: 'syncscale' },
            sink: { add: () => undefined },
            maxConcurrentConnects: 50,
            backoff: { baseMs: 200, capMs: 1000 },
          }),
      );
      const addMix = (count: number) =>
        handles.run(() => {
          fleet.add(Math.ceil(count / 2), { transport: 'http-ndjson' });
          fleet.add(Math.floor(count / 4), { transport: 'http-bson' });
          fleet.add(count - Math.ceil(count / 2) - Math.floor(count / 4), { transport: 'websocket' });
        });
      addMix(200);
      await until(() => fleet.snapshot().synced === 200, '200 streams synced', 60_000);
      const peak = await metrics();
      expect(peak.streams).toBe(200);
      expect(peak.listeners).toBeGreaterThan(idle.listeners + 200); // it counts what streams hold
      // Churn: every 250 ms the 10 oldest leave and 10 new ones join, for 8 s (320 replaced).
      for (let round = 0; round < 32; round++) {
        fleet.remove(10, 'oldest');
        addMix(10);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await until(() => fleet.snapshot().synced === 200, 'the churned fleet synced', 60_000);
      fleet.stopAll();
      await until(() => Object.keys(handles.live()).length === 0, "the fleet's sockets and timers gone");
    } finally {
      handles.stop();
    }
    // Idle storage pool connections close after 10 s; keep-alive sockets after 5 s.
    await until(
      async () => {
        const now = await metrics();
        return now.streams === 0 && now.listeners === idle.listeners && now.handles <= idle.handles + 2;
      },
      'streams, listeners and handles back to idle',
      30_000,
      100,
    ).catch(async (error: Error) => {
      throw new Error(
        `${error.message}: idle ${JSON.stringify(idle)}, now ${JSON.stringify(await metrics())}`,
      );
    });
    expect(service.output).not.toMatch(/MaxListenersExceededWarning|Warning:/);
    expect(warnings).toEqual([]);
  }, 150_000);
});
