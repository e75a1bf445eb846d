import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { reaperMain } from './reaper-process.js';

/**
 * Child processes and temporary directories that must not outlive this process. Orderly shutdown
 * (Ctrl-C, a thrown error) stops and removes them itself and releases them here; what is still guarded
 * when this process ends — a SIGKILL, an out-of-memory kill, a crash in native code — is stopped and
 * removed by the reaper, a small detached Node process that notices the end of its stdin.
 */
let reaper: { stdin: Writable } | undefined;

function send(message: Record<string, unknown>): void {
  if (process.env.SYNCSCALE_NO_REAPER === '1') return;
  if (!reaper) {
    const child = spawn(process.execPath, ['-e', `(${reaperMain.toString()})()`], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.on('error', () => undefined);
    child.unref();
    const stdin = child.stdin!;
    stdin.on('error', () => undefined);
    // The pipe must not keep this process alive; it ends when this process does.
    (stdin as unknown as { unref?: () => void }).unref?.();
    reaper = { stdin };
  }
  reaper.stdin.write(`${JSON.stringify(message)}\n`);
}

/** Guards a child process: if this process dies first, it gets `signal`, then SIGKILL after 10 s. */
export function guardProcess(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (pid) send({ op: 'pid', pid, signal });
}

export function releaseProcess(pid: number | undefined): void {
  if (pid && reaper) send({ op: 'release', pid });
}

/** Guards a temporary directory: if this process dies first, it is removed. */
export function guardPath(path: string): void {
  send({ op: 'path', path });
}

export function releasePath(path: string): void {
  if (reaper) send({ op: 'release', path });
}
