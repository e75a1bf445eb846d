/** The reference service as a child process (so its RSS and CPU can be read from /proc), its log kept. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK_TICKS } from './proc-readings.js';

/** The repository root (the compiled file lives in .tmp/bench/scripts/bench/support/). */
function repositoryRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    path.resolve(here, '../../../../..'),
    path.resolve(here, '../../..'),
    process.cwd(),
  ]) {
    if (fs.existsSync(path.join(candidate, 'bin', 'syncscale.js'))) return candidate;
  }
  throw new Error('cannot find bin/syncscale.js');
}

export interface LogLine {
  at: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** The reference service as a child process, its output kept (all of stderr and every WARN/ERROR line). */
export class ServiceChild {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly child: ChildProcess;
  private recent: string[] = [];
  private waiters: Array<() => void> = [];
  /** Label of the benchmark phase, stamped on kept log lines. */
  phase = 'start';
  readonly phaseOf = new Map<LogLine, string>();

  /** The node arguments and CLI arguments the child was started with (for the report). */
  readonly commandLine: string;

  /** `heapMb` sets the child's `--max-old-space-size` (V8 default when absent). */
  constructor(
    configPath: string,
    options: { heapMb?: number; nodeArgs?: string[]; role?: 'unified' | 'api' | 'sync' } = {},
  ) {
    const root = repositoryRoot();
    const nodeArgs = [
      ...(options.heapMb ? [`--max-old-space-size=${options.heapMb}`] : []),
      ...(options.nodeArgs ?? []),
    ];
    const cliArgs = [
      path.join(root, 'bin', 'syncscale.js'),
      'service',
      'start',
      '-r',
      options.role ?? 'unified',
      '-c',
      configPath,
    ];
    this.commandLine = ['node', ...nodeArgs, 'bin/syncscale.js', ...cliArgs.slice(1)].join(' ');
    this.child = spawn(process.execPath, [...nodeArgs, ...cliArgs], {
      cwd: root,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const [name, stream] of [
      ['stdout', this.child.stdout!],
      ['stderr', this.child.stderr!],
    ] as const) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const text of parts) this.keep(name, text);
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve({ code, signal });
        for (const wake of this.waiters.splice(0)) wake();
      }),
    );
    // Never leave the service running behind the benchmark.
    process.on('exit', () => this.alive && this.child.kill('SIGKILL'));
  }

  private keep(stream: 'stdout' | 'stderr', text: string): void {
    this.recent.push(text);
    if (this.recent.length > 50) this.recent.shift();
    if (
      stream === 'stderr' ||
      /\b(WARN|ERROR)\b|"level":(40|50|60)/.test(text) ||
      /Listening on/.test(text)
    ) {
      const line = { at: Date.now(), stream, text };
      if (this.lines.length < 5000) {
        this.lines.push(line);
        this.phaseOf.set(line, this.phase);
      }
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines of output, whatever their level. */
  get tail(): string {
    return this.recent.join('\n');
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line.text);
        if (match) return match;
      }
      if (!this.alive) throw new Error(`service exited (${JSON.stringify(this.exitInfo)}):\n${this.tail}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${this.tail}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Resident set size in KiB (VmRSS), or NaN once the process is gone. */
  rssKb(): number {
    try {
      const status = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match ? Number(match[1]) : NaN;
    } catch {
      return NaN;
    }
  }

  /** utime + stime in seconds (from /proc/<pid>/stat, clock ticks of 100 Hz). */
  cpuSeconds(): number {
    try {
      const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return NaN;
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.alive && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Prints the service's WARN/ERROR/stderr lines, grouped by message shape, with the phase they occurred in. */
export function reportServiceLog(service: ServiceChild): void {
  const problems = service.lines.filter((l) => !/Listening on/.test(l.text));
  if (problems.length === 0) {
    console.log('\nservice log: no WARN/ERROR lines, nothing on stderr');
    return;
  }
  console.log(`\nservice log: ${problems.length} WARN/ERROR/stderr line(s):`);
  const groups = new Map<string, { count: number; first: LogLine; phases: Set<string> }>();
  for (const line of problems) {
    const shape = line.text
      .replace(/^\S+Z /, '')
      .replace(/\bu\d+\b/g, 'u#')
      .replace(/\d+/g, '#');
    const group = groups.get(shape);
    if (group) {
      group.count++;
      group.phases.add(service.phaseOf.get(line) ?? '?');
    } else groups.set(shape, { count: 1, first: line, phases: new Set([service.phaseOf.get(line) ?? '?']) });
  }
  for (const { count, first, phases } of [...groups.values()].slice(0, 20)) {
    console.log(`  ${count}× [${[...phases].join(', ')}] (${first.stream}) ${first.text.slice(0, 400)}`);
  }
  if (groups.size > 20) console.log(`  … ${groups.size - 20} more kinds`);
}
