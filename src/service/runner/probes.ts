import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';

/** Probe state as the real service reports it (service.md §8.1); HTTP bodies return it unwrapped. */
export interface ProbeState {
  ready: boolean;
  started: boolean;
  touched_at: Date;
}

const LIVENESS_WINDOW_MS = 10_000;

/**
 * Startup, readiness and liveness. `ready()` at the end of startup sets both flags (never reset on shutdown);
 * `touch()` is called by the replicator loop. Filesystem probes write `<cwd>/.probes/{startup,ready,poll}`.
 */
export class Probes {
  readonly state: ProbeState = { ready: false, started: false, touched_at: new Date() };

  constructor(private readonly options: { hasReplication: boolean; filesystemDir?: string }) {
    if (options.filesystemDir) fs.mkdirSync(options.filesystemDir, { recursive: true });
  }

  ready(): void {
    this.state.ready = true;
    this.state.started = true;
    this.writeFile('startup');
    this.writeFile('ready');
    this.touch();
  }

  touch(): void {
    this.state.touched_at = new Date();
    this.writeFile('poll');
  }

  isLive(now = Date.now()): boolean {
    return !this.options.hasReplication || now - this.state.touched_at.getTime() <= LIVENESS_WINDOW_MS;
  }

  /** Answers `/probes/*`; returns false when the path is not a probe. */
  handle(pathname: string, res: http.ServerResponse): boolean {
    const ok =
      pathname === '/probes/startup'
        ? this.state.started
        : pathname === '/probes/readiness'
          ? this.state.ready
          : pathname === '/probes/liveness'
            ? this.isLive()
            : undefined;
    if (ok === undefined) return false;
    res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(this.state));
    return true;
  }

  private writeFile(name: string): void {
    if (!this.options.filesystemDir) return;
    try {
      fs.writeFileSync(path.join(this.options.filesystemDir, name), new Date().toISOString());
    } catch {
      // A read-only working directory must not take the service down; the HTTP probes still answer.
    }
  }
}
