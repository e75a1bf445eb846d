import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { startEmbeddedPostgres, type PostgresServer } from '../postgres/index.js';
import {
  CLI,
  createDatasetTables,
  ServiceProcess,
  spawnService,
  waitForActiveCheckpoint,
  writeServiceFiles,
} from '../scenario/index.js';
import { LoadBalancer } from './load-balancer.js';
import type { Timeline } from './timeline.js';

const STANDBY = /PSYNC_S1003/;
const ACQUIRED = /Acquired replication lock/;
const RELEASED = /Released replication lock/;
const STARTED = /Service started in/;

interface Member {
  name: string;
  process: ServiceProcess;
  port: number;
  metricsPort: number;
  configPath: string;
}

export interface EmbeddedDeploymentOptions {
  runDir: string;
  log: Writable;
  timeline: Timeline;
  syncConfig: string;
  dataset: { users: number; rowsPerUser: number; rowSizeBytes: number; lists: number };
  apiContainers: number;
  heapMb: number;
  maxConcurrentConnections: number;
  lockTtlMs: number;
  lockRefreshMs: number;
  /** `separate`: bucket storage on a second Postgres server, so either can be restarted alone. */
  storageServer: 'shared' | 'separate';
  /** Extra environment for replicators started by steps (the test-only fault knobs). */
  newReplicatorEnv?: NodeJS.ProcessEnv;
  /** Loads the written table before the first replicator starts. */
  prepareSource: (sourceUrl: string) => Promise<void>;
}

/**
 * A deployment as the seed describes it, on this machine: embedded Postgres (source and bucket storage, on
 * one server or two),
 * one replication process, N API processes behind a load balancer, all separate processes. Steps act on
 * it as an operator's deploy would (start a new replicator, stop the old one, roll the API processes, run
 * migrations and the compact job); every process's lock and lifecycle lines go to the timeline.
 */
export class EmbeddedDeployment {
  readonly balancer = new LoadBalancer();
  readonly replicators: Member[] = [];
  readonly apis: Member[] = [];
  sourceUrl = '';
  storageUrl = '';
  readonly jwtKey = { k: randomBytes(32).toString('base64url'), kid: 'syncscale-drill' };
  readonly audience = 'syncscale';
  private server: PostgresServer | undefined;
  private storageServer: PostgresServer | undefined;
  private readonly all: ServiceProcess[] = [];
  private replicatorCount = 0;
  private apiCount = 0;

  constructor(private readonly options: EmbeddedDeploymentOptions) {}

  async start(): Promise<void> {
    this.server = await startEmbeddedPostgres();
    this.storageServer =
      this.options.storageServer === 'separate' ? await startEmbeddedPostgres() : this.server;
    this.sourceUrl = await this.server.createDatabase('syncscale_source');
    this.storageUrl = await this.storageServer.createDatabase('syncscale_storage');
    await createDatasetTables(this.sourceUrl, this.options.dataset);
    await this.options.prepareSource(this.sourceUrl);
    await fs.writeFile(path.join(this.options.runDir, 'sync-config.yaml'), this.options.syncConfig);
    await this.balancer.listen();
    const first = await this.launchReplicator({});
    await first.process.waitFor(ACQUIRED, 60_000);
    await waitForActiveCheckpoint(this.storageUrl, 120_000);
    for (let i = 0; i < this.options.apiContainers; i++) await this.launchApi();
  }

  /** Starts another replicator; resolves once it is up (standing by, or holding the lock). */
  async startReplicator(): Promise<Member> {
    return this.launchReplicator(this.options.newReplicatorEnv ?? {});
  }

  /** The oldest running replicator: what a rolling deploy stops. */
  oldestReplicator(): Member | undefined {
    return this.replicators.find((r) => r.process.alive);
  }

  /** Signals a member and resolves when it has exited. */
  async stop(member: Member, signal: NodeJS.Signals): Promise<void> {
    this.options.timeline.add({ at: Date.now(), subject: member.name, kind: 'signal', detail: signal });
    member.process.signal(signal);
    await member.process.exited;
  }

  /** Rolls one API process: out of rotation, SIGTERM (drain), exit, then its replacement in rotation. */
  async rollApi(member: Member): Promise<{ drainMs: number; replacement: Member }> {
    this.balancer.remove(member.name);
    this.options.timeline.add({ at: Date.now(), subject: member.name, kind: 'out-of-rotation' });
    const signalled = Date.now();
    await this.stop(member, 'SIGTERM');
    const drainMs = Date.now() - signalled;
    const replacement = await this.launchApi();
    return { drainMs, replacement };
  }

  /** `syncscale service migrate up` as the one-shot migrate job. */
  async migrate(): Promise<string> {
    return this.oneShot('migrate', ['service', 'migrate', 'up', '-c', this.configOf('api')]);
  }

  /** `syncscale service compact` as the compact job; resolves with its JSON summary. */
  async compact(): Promise<string> {
    return this.oneShot('compact', ['service', 'compact', '-c', this.configOf('sync')]);
  }

  /**
   * Restarts the Postgres server holding the source or the storage (fast shutdown, `downMs` down, start).
   * Returns true when one server holds both, so both went down.
   */
  async restartServer(which: 'source' | 'storage', downMs: number): Promise<boolean> {
    const server = which === 'source' ? this.server : this.storageServer;
    const shared = this.server === this.storageServer;
    const subject = shared ? 'postgres' : `postgres-${which}`;
    this.options.timeline.add({ at: Date.now(), subject, kind: 'signal', detail: 'fast shutdown' });
    await server!.restart!(downMs, () =>
      this.options.timeline.add({ at: Date.now(), subject, kind: 'exited', detail: 'fast shutdown' }),
    );
    this.options.timeline.add({ at: Date.now(), subject, kind: 'started' });
    return shared;
  }

  /** Stops every process (SIGKILL after a short grace), the load balancer and Postgres. */
  async close(): Promise<void> {
    await Promise.all(this.all.map((p) => p.stop(5_000)));
    await this.balancer.close().catch(() => undefined);
    if (this.storageServer !== this.server) await this.storageServer?.stop();
    await this.server?.stop();
  }

  private configOf(role: 'sync' | 'api'): string {
    const member = role === 'api' ? this.apis[0] : this.replicators[0];
    return member!.configPath;
  }

  private async oneShot(label: string, args: string[]): Promise<string> {
    const child = new ServiceProcess(label, [CLI, ...args], {
      heapMb: this.options.heapMb,
      cwd: this.options.runDir,
      log: this.options.log,
    });
    this.all.push(child);
    const { code } = await child.exited;
    if (code !== 0) throw new Error(`${label} exited with ${code}`);
    return label;
  }

  private async launchReplicator(extraEnv: NodeJS.ProcessEnv): Promise<Member> {
    const name = `replicator-${this.replicatorCount++}`;
    const member = await this.launch(name, 'sync', {
      SYNCSCALE_LOCK_TTL_MS: String(this.options.lockTtlMs),
      SYNCSCALE_LOCK_REFRESH_MS: String(this.options.lockRefreshMs),
      SYNCSCALE_REPLICATION_RETRY_MS: '1000',
      ...extraEnv,
    });
    this.replicators.push(member);
    // Up: it either stands by or takes the lock.
    await Promise.race([member.process.waitFor(STANDBY, 60_000), member.process.waitFor(ACQUIRED, 60_000)]);
    return member;
  }

  private async launchApi(): Promise<Member> {
    const name = `api-${this.apiCount++}`;
    const member = await this.launch(name, 'api', {});
    await member.process.waitFor(STARTED, 60_000);
    this.apis.push(member);
    this.balancer.add(name, member.port);
    this.options.timeline.add({ at: Date.now(), subject: name, kind: 'in-rotation' });
    return member;
  }

  private async launch(name: string, role: 'sync' | 'api', env: NodeJS.ProcessEnv): Promise<Member> {
    const { configPath, port, metricsPort } = await writeServiceFiles(this.options.runDir, name, {
      sourceUrl: this.sourceUrl,
      storageUrl: this.storageUrl,
      jwtKey: this.jwtKey,
      audience: this.audience,
      maxConcurrentConnections: this.options.maxConcurrentConnections,
      role,
    });
    const timeline = this.options.timeline;
    timeline.add({ at: Date.now(), subject: name, kind: 'started' });
    const child = spawnService(name, role, configPath, {
      heapMb: this.options.heapMb,
      runDir: this.options.runDir,
      log: this.options.log,
      env,
      onLine: (line, at) => {
        if (STANDBY.test(line)) timeline.add({ at, subject: name, kind: 'standby' });
        else if (ACQUIRED.test(line)) timeline.add({ at, subject: name, kind: 'acquired' });
        else if (RELEASED.test(line)) timeline.add({ at, subject: name, kind: 'released' });
      },
    });
    this.all.push(child);
    void child.exited.then(({ code, signal }) =>
      timeline.add({ at: Date.now(), subject: name, kind: 'exited', detail: signal ?? `code ${code}` }),
    );
    return { name, process: child, port, metricsPort, configPath };
  }
}
