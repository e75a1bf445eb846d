import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ServiceProcess } from './child-processes.js';

/** The tiny application backend shipped in fixtures/backend (POST /todos → a stamped row in the source). */
export const EXAMPLE_BACKEND = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/backend/upload-backend.mjs',
);

/**
 * Starts the example backend against the source database on a free 127.0.0.1 port, as a guarded child
 * (stopped with the run, killed with it on a crash). Resolves with its upload URL.
 */
export async function startExampleBackend(
  sourceUrl: string,
  runDir: string,
  log: Writable,
): Promise<{ url: string; process: ServiceProcess }> {
  const child = new ServiceProcess('backend', [EXAMPLE_BACKEND], {
    cwd: runDir,
    log,
    env: { SOURCE_DATABASE_URL: sourceUrl, PORT: '0', HOST: '127.0.0.1' },
  });
  const match = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  return { url: `${match[1]}/todos`, process: child };
}
