import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/metrics/index.js';
import { freePort } from '../../src/postgres/index.js';
import { DEFAULT_PROMETHEUS_SERIES, parsePrometheusText, PrometheusProbe } from '../../src/probes/index.js';

/** What an API process of the service exports, in the OTel exporter's style, plus series nobody selected. */
const FIXTURE = `# HELP powersync_concurrent_connections Open sync streams
# TYPE powersync_concurrent_connections gauge
powersync_concurrent_connections{otel_scope_name="powersync",otel_scope_version=""} 42
# TYPE powersync_operations_synced_total counter
powersync_operations_synced_total{otel_scope_name="powersync"} 123456
powersync_data_synced_bytes_total{otel_scope_name="powersync"} 9.87e6 1700000000000
# TYPE powersync_replication_lag_seconds gauge
powersync_replication_lag_seconds NaN
powersync_operation_storage_size_bytes 5.5e+07
nodejs_heap_size_used_bytes 31457280
nodejs_eventloop_lag_p99_seconds 0.012
process_cpu_seconds_total 12.5
process_resident_memory_bytes{instance="api \\"one\\""} 104857600
http_request_duration_seconds_bucket{le="+Inf"} 10
powersync_data_sent_bytes_total 100
`;

interface Server {
  url: string;
  paths: string[];
  close: () => Promise<void>;
}

async function serve(handler: http.RequestListener): Promise<Server> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const text =
  (body: string): http.RequestListener =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  };

describe('PrometheusProbe against a local metrics server', () => {
  let fixture: Server;
  let hanging: Server;
  beforeAll(async () => {
    fixture = await serve((req, res) => {
      if (req.url === '/custom/metrics?x=1') return text(FIXTURE)(req, res);
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/custom/metrics?x=1' });
        return res.end();
      }
      res.writeHead(404).end('not found');
    });
    hanging = await serve(() => undefined); // accepts and never answers
  });
  afterAll(async () => {
    await fixture?.close();
    await hanging?.close();
  });

  it('emits the selected series, tagged, without NaN, from exactly the URL given', async () => {
    const probe = new PrometheusProbe(`${fixture.url}/custom/metrics?x=1`, 'api-1');
    const samples = await probe.sample(5000);
    const byName = new Map(samples.map((s) => [s.metric, s]));
    expect(byName.get('powersync_concurrent_connections')).toEqual({
      metric: 'powersync_concurrent_connections',
      value: 42,
      time: 5000,
      tags: { process: 'api-1' },
    });
    expect(byName.get('powersync_operations_synced_total')?.value).toBe(123456);
    expect(byName.get('powersync_data_synced_bytes_total')?.value).toBe(9.87e6);
    expect(byName.get('powersync_operation_storage_size_bytes')?.value).toBe(5.5e7);
    expect(byName.get('nodejs_heap_size_used_bytes')?.value).toBe(31457280);
    expect(byName.get('nodejs_eventloop_lag_p99_seconds')?.value).toBe(0.012);
    expect(byName.get('process_cpu_seconds_total')?.value).toBe(12.5);
    expect(byName.get('process_resident_memory_bytes')?.tags).toEqual({
      instance: 'api "one"',
      process: 'api-1',
    });
    expect(byName.has('powersync_replication_lag_seconds')).toBe(false); // NaN: unset gauge
    expect(byName.has('powersync_data_sent_bytes_total')).toBe(false); // not selected
    expect(byName.has('http_request_duration_seconds_bucket')).toBe(false);
    expect(samples).toHaveLength(8);
    expect(fixture.paths).toEqual(['/custom/metrics?x=1']);
    expect(probe.unavailable()).toEqual([
      `metrics at ${fixture.url}/custom/metrics?x=1 (api-1) do not export powersync_rows_replicated_total`,
    ]);
    await probe.sample(6000);
    expect(probe.unavailable()).toHaveLength(1);
  });

  it('notes HTTP errors and redirects (not followed) once each', async () => {
    fixture.paths.length = 0;
    const missing = new PrometheusProbe(`${fixture.url}/metrics`, 'api-2');
    expect(await missing.sample(1)).toEqual([]);
    expect(await missing.sample(2)).toEqual([]);
    expect(missing.unavailable()).toEqual([
      `could not read metrics at ${fixture.url}/metrics (api-2): HTTP 404`,
    ]);

    const moved = new PrometheusProbe(`${fixture.url}/moved`, 'api-3');
    expect(await moved.sample(1)).toEqual([]);
    expect(moved.unavailable()[0]).toMatch(/HTTP 302 \(redirect to \/custom\/metrics\?x=1, not followed\)$/);
    expect(fixture.paths).toEqual(['/metrics', '/metrics', '/moved']);
  });

  it('gives up after 2 s on a server that does not answer', async () => {
    const probe = new PrometheusProbe(`${hanging.url}/metrics`, 'replicator');
    const started = performance.now();
    expect(await probe.sample(1)).toEqual([]);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(3500);
    expect(probe.unavailable()).toEqual([
      `could not read metrics at ${hanging.url}/metrics (replicator): no answer within 2000 ms`,
    ]);
  });

  it('close() aborts a scrape in flight without a note', async () => {
    const probe = new PrometheusProbe(`${hanging.url}/metrics`, 'api-4');
    const started = performance.now();
    const reading = probe.sample(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await probe.close();
    expect(await reading).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(probe.unavailable()).toEqual([]);
  });

  it('notes a refused connection', async () => {
    const port = await freePort();
    const probe = new PrometheusProbe(`http://127.0.0.1:${port}/metrics`, 'api-5');
    expect(await probe.sample(1)).toEqual([]);
    expect(probe.unavailable()[0]).toMatch(/^could not read metrics at .* \(api-5\): .*ECONNREFUSED/);
  });

  it('reads real prom-client output without a parse error, and its figures match this process', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    new Gauge({
      name: 'powersync_concurrent_connections',
      help: 'Open sync streams',
      registers: [registry],
    }).set(3);
    const server = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
    });
    try {
      const exposition = parsePrometheusText(await registry.metrics());
      expect(exposition.errors).toEqual([]);
      expect(exposition.families.get('process_cpu_seconds_total')?.type).toBe('counter');

      const probe = new PrometheusProbe(`${server.url}/metrics`, 'self', {
        series: [...DEFAULT_PROMETHEUS_SERIES, 'nodejs_heap_space_size_used_bytes'],
      });
      const samples: Sample[] = await probe.sample(Date.now());
      const value = (name: string) => samples.find((s) => s.metric === name)?.value ?? NaN;
      expect(value('powersync_concurrent_connections')).toBe(3);
      const rss = process.memoryUsage().rss;
      expect(Math.abs(value('process_resident_memory_bytes') - rss) / rss).toBeLessThan(0.25);
      expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(1024 * 1024);
      const cpu = process.cpuUsage();
      expect(value('process_cpu_seconds_total')).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6 + 0.01);
      // Series with labels keep them (one sample per heap space), and `process` is added.
      const spaces = samples.filter((s) => s.metric === 'nodejs_heap_space_size_used_bytes');
      expect(spaces.length).toBeGreaterThan(3);
      expect(spaces.every((s) => s.tags?.space && s.tags.process === 'self')).toBe(true);
    } finally {
      await server.close();
    }
  });
});
