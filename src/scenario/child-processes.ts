import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { guardProcess, releaseProcess } from '../reaper/index.js';

/**
 * Service processes started by a run, each like a container: its own heap limit, its output in run.log.
 * Every child is tracked so a failing or interrupted run stops all of them (no orphans).
 */
export class ServiceProcess {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    args: string[],
    options: {
      heapMb?: number;
      env?: NodeJS.ProcessEnv;
      cwd: string;
      log: Writable;
      /** Every output line as it arrives, with its arrival time (`Date.now()`): drills time events by it. */
      onLine?: (line: string, at: number) => void;
    },
  ) {
    const nodeArgs = options.heapMb ? [`--max-old-space-size=${options.heapMb}`] : [];
    this.child = spawn(process.execPath, [...nodeArgs, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) {
          options.log.write(`[${label}] ${line}\n`);
          options.onLine?.(line, Date.now());
          if (this.lines.length < 200) this.lines.push(line);
        }
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    guardProcess(this.child.pid);
    void this.exited.then(() => {
      running.delete(this);
      releaseProcess(this.child.pid);
      for (const wake of this.waiters.splice(0)) wake();
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for an output line matching the pattern; rejects if the process exits first or on timeout. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (!this.alive)
        throw new Error(`${this.label} exited before printing ${pattern}:\n${this.lines.join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`${this.label} did not print ${pattern} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 250).unref();
      });
    }
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 35_000): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Sends a signal without waiting (a drill times what follows). */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }
}

const running = new Set<ServiceProcess>();

/** Kills every child still running (last resort on crash or a second Ctrl-C). */
export function killAllServiceProcesses(): void {
  for (const child of running) child.kill();
}

export function runningServiceProcesses(): number {
  return running.size;
}
