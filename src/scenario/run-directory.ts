import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { redactedJson, redactingStream } from '../redact/index.js';

/** `reports/<run-id>/` with `run.log` open for appending as the run goes. */
export class RunDirectory {
  /** run.log, redacted line by line (the service processes' output is piped into it too). */
  readonly log: Writable;
  private readonly logFile: fs.WriteStream;

  private constructor(
    readonly id: string,
    readonly path: string,
  ) {
    this.logFile = fs.createWriteStream(this.file('run.log'), { flags: 'a' });
    this.log = redactingStream(this.logFile);
  }

  static create(reportsDir: string, scenarioName: string, now = new Date()): RunDirectory {
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const slug =
      scenarioName
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'run';
    const id = `${stamp}-${slug}`;
    const dir = path.resolve(reportsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    return new RunDirectory(id, dir);
  }

  file(name: string): string {
    return path.join(this.path, name);
  }

  line(text: string): void {
    this.log.write(`${new Date().toISOString()} ${text}\n`);
  }

  /** Writes JSON atomically (temp file, then rename), so a crash never leaves half a results file; redacted. */
  writeJson(name: string, value: unknown): void {
    const target = this.file(name);
    fs.writeFileSync(
      `${target}.tmp`,
      redactedJson(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    fs.renameSync(`${target}.tmp`, target);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.logFile.once('close', () => resolve());
      this.log.end();
    });
  }
}
