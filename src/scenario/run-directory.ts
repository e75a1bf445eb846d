import fs from 'node:fs';
import path from 'node:path';

/** `reports/<run-id>/` with `run.log` open for appending as the run goes. */
export class RunDirectory {
  readonly log: fs.WriteStream;

  private constructor(
    readonly id: string,
    readonly path: string,
  ) {
    this.log = fs.createWriteStream(this.file('run.log'), { flags: 'a' });
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

  /** Writes JSON atomically (temp file, then rename), so a crash never leaves half a results file. */
  writeJson(name: string, value: unknown): void {
    const target = this.file(name);
    fs.writeFileSync(
      `${target}.tmp`,
      JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2),
    );
    fs.renameSync(`${target}.tmp`, target);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.log.end(() => resolve()));
  }
}
