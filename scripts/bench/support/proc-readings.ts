/** Readings of processes from /proc and Prometheus: the service's gauges, its CPU, and Postgres's CPU. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type pg from 'pg';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ). */
export const CLOCK_TICKS = 100;

/** Fetches the service's Prometheus text (127.0.0.1) and returns the named gauges. */
export async function scrapeMetrics(port: number, names: string[]): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('metrics scrape timed out')));
    req.on('error', reject);
  });
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    for (const name of names) {
      if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
        const value = Number(line.slice(line.lastIndexOf(' ') + 1));
        values.set(name, (values.get(name) ?? 0) + value);
      }
    }
  }
  return values;
}

/** utime + stime of a process in seconds (from /proc/<pid>/stat), NaN when gone; also its parent pid. */
function processCpu(pid: number): { seconds: number; ppid: number } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, ppid: Number(fields[1]) };
  } catch {
    return { seconds: NaN, ppid: 0 };
  }
}

/** PID of the postmaster serving `pool` (from postmaster.pid in its data directory). */
export async function postmasterPidOf(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ data_directory: string }>('SHOW data_directory');
  return Number(fs.readFileSync(path.join(rows[0]!.data_directory, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/**
 * CPU seconds of our Postgres server: the postmaster and its live children (backends, walsenders, WAL
 * writer…). Backends that exited in between are not counted; the service's pooled connections persist.
 */
export function postgresCpuSeconds(postmasterPid: number): number {
  let total = processCpu(postmasterPid).seconds;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const { seconds, ppid } = processCpu(Number(entry));
    if (ppid === postmasterPid && Number.isFinite(seconds)) total += seconds;
  }
  return total;
}
