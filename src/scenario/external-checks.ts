import fs from 'node:fs';
import pg from 'pg';
import { parsePrometheusText, pingMongoDb } from '../probes/index.js';
import type { ExternalTarget } from './types.js';

/** One problem with an external target, found before any load: where in the scenario, and what. */
export interface TargetProblem {
  path: string;
  message: string;
}

/** A target that cannot be observed or reached as declared ([SSCALE_T0001]); nothing was started. */
export class TargetCheckError extends Error {
  override name = 'TargetCheckError';
  constructor(readonly problems: TargetProblem[]) {
    super(
      `[SSCALE_T0001] External target not reachable as declared (nothing was started):\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`,
    );
  }
}

async function checkPostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `cannot connect: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkMetrics(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return `answered HTTP ${res.status}`;
    const exposition = parsePrometheusText(await res.text());
    return exposition.series.length > 0 ? undefined : 'did not answer Prometheus text';
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}

/**
 * Checks every part of an external target the run will rely on, all at once: the source and storage
 * databases answer, each declared pid is a running process on this machine, each metrics URL answers
 * Prometheus text. Throws TargetCheckError listing every problem with its path.
 */
export async function checkExternalTarget(target: ExternalTarget): Promise<void> {
  const problems: TargetProblem[] = [];
  const checks: Array<Promise<void>> = [];
  const check = (path: string, run: () => Promise<string | undefined>) =>
    checks.push(run().then((message) => void (message && problems.push({ path, message }))));
  check('target.external.source_database_url', () => checkPostgres(target.sourceDatabaseUrl));
  if (target.storage?.kind === 'postgres')
    check('target.external.storage.postgres_url', () => checkPostgres(target.storage!.url));
  if (target.storage?.kind === 'mongodb')
    check('target.external.storage.mongodb_url', () =>
      pingMongoDb(target.storage!.url).then(
        () => undefined,
        (error: Error) => `cannot connect: ${error.message}`,
      ),
    );
  target.processes.forEach((p, i) => {
    // The shorthand (pid/metrics_url directly under `external`) is appended as the last process.
    const shorthand = target.pid !== undefined || target.metricsUrl !== undefined;
    const where =
      shorthand && i === target.processes.length - 1 ? 'target.external' : `target.external.processes[${i}]`;
    if (p.pid !== undefined) {
      const pid = p.pid;
      check(`${where}.pid`, async () =>
        fs.existsSync(`/proc/${pid}/stat`)
          ? undefined
          : `pid ${pid} is not a running process on this machine`,
      );
    }
    if (p.metricsUrl) {
      const url = p.metricsUrl;
      check(`${where}.metrics_url`, () => checkMetrics(url));
    }
  });
  await Promise.all(checks);
  if (problems.length > 0) throw new TargetCheckError(problems.sort((a, b) => (a.path < b.path ? -1 : 1)));
}
