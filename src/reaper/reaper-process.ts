/**
 * The reaper's own program. It runs in a separate, detached Node process (see guard.ts) so that it outlives
 * a syncscale process that crashes or is SIGKILLed. It must not close over anything: it is turned into
 * source with `Function.prototype.toString` and run with `node -e`.
 *
 * Protocol on stdin, one JSON object per line:
 *   {"op":"pid","pid":123,"signal":"SIGINT"}   guard a process (stopped with `signal`, then SIGKILL)
 *   {"op":"path","path":"/tmp/x"}               guard a directory (removed recursively)
 *   {"op":"release","pid":123} / {"op":"release","path":"/tmp/x"}   the owner cleaned it up itself
 * When stdin ends (the owner exited, however it exited), everything still guarded is stopped and removed.
 */
export function reaperMain(): void {
  const fs = process.getBuiltinModule('node:fs');
  const pids = new Map<number, NodeJS.Signals>();
  const paths = new Set<string>();
  // Ctrl-C in a terminal goes to the foreground process group; the reaper is detached, but ignore anyway.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);

  let partial = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const message = JSON.parse(line) as {
          op: string;
          pid?: number;
          signal?: NodeJS.Signals;
          path?: string;
        };
        if (message.op === 'pid' && message.pid) pids.set(message.pid, message.signal ?? 'SIGTERM');
        if (message.op === 'path' && message.path) paths.add(message.path);
        if (message.op === 'release') {
          if (message.pid) pids.delete(message.pid);
          if (message.path) paths.delete(message.path);
        }
      } catch {
        // A torn line can only come from an owner that died mid-write: ignore it.
      }
    }
  });

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signalAll = (pick: (pid: number) => NodeJS.Signals): void => {
    for (const pid of pids.keys()) {
      try {
        process.kill(pid, pick(pid));
      } catch {
        // already gone
      }
    }
  };

  process.stdin.on('end', () => {
    signalAll((pid) => pids.get(pid)!);
    const deadline = Date.now() + 10_000;
    const finish = (): void => {
      for (const pid of [...pids.keys()]) if (!alive(pid)) pids.delete(pid);
      if (pids.size > 0 && Date.now() < deadline) {
        setTimeout(finish, 50);
        return;
      }
      signalAll(() => 'SIGKILL');
      for (const dir of paths) {
        try {
          fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        } catch {
          // nothing more a reaper can do
        }
      }
      process.exit(0);
    };
    finish();
  });
}
