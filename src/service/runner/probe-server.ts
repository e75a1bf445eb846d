import http from 'node:http';
import { ServiceError } from '../../errors/index.js';
import type { Probes } from './probes.js';

/**
 * The HTTP listener of a runner. Until the sync API lands (issue 3) it serves the probes and answers every
 * other path with PSYNC_S2002; `api` and `unified` modes will mount the sync routes on the same server.
 */
export async function startProbeServer(probes: Probes, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && probes.handle(pathname, res)) return;
    const error = new ServiceError(
      'PSYNC_S2002',
      `The path does not exist on this server: ${req.method} ${pathname}`,
    );
    res.writeHead(error.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(error.toJSON()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
