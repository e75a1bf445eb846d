import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'syncscale.js');

export interface LoggedLine {
  at: number;
  text: string;
}

/** A real `syncscale` child process with its output captured line by line. */
export class CliProcess {
  readonly lines: LoggedLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const text of parts) this.lines.push({ at: Date.now(), text });
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    void this.exited.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.lines.map((l) => l.text).join('\n');
  }

  count(pattern: RegExp | string): number {
    return this.lines.filter((l) =>
      typeof pattern === 'string' ? l.text.includes(pattern) : pattern.test(l.text),
    ).length;
  }

  /** Resolves with the first line matching, rejecting after the timeout or when the process exits first. */
  async waitFor(pattern: RegExp | string, timeoutMs = 30_000): Promise<LoggedLine> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const line = this.lines.find((l) =>
        typeof pattern === 'string' ? l.text.includes(pattern) : pattern.test(l.text),
      );
      if (line) return line;
      if (exited || Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${pattern}; output so far:\n${this.output}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Writes a config file into a fresh temporary directory and returns its path. */
export function writeTempConfig(yaml: string): { path: string; dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-test-'));
  const file = path.join(dir, 'powersync.yaml');
  fs.writeFileSync(file, yaml);
  return { path: file, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
