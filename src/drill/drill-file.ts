import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import {
  datasetSchema,
  duration,
  formatPath,
  issueMessage,
  positiveCount,
  positiveDuration,
  positiveRate,
  ScenarioError,
  TRANSPORTS,
  type Transport,
  YamlSource,
  zodProblems,
} from '../scenario/index.js';

/** One deploy step; each is a single-key mapping in the file (`- stop_replicator: {signal: SIGKILL}`). */
const stepSchema = z.union([
  z.strictObject({ start_replicator: z.strictObject({}).prefault({}) }),
  z.strictObject({
    stop_replicator: z
      .strictObject({ signal: z.enum(['SIGTERM', 'SIGKILL']).default('SIGTERM') })
      .prefault({}),
  }),
  z.strictObject({ roll_api: z.strictObject({}).prefault({}) }),
  z.strictObject({ migrate: z.strictObject({}).prefault({}) }),
  z.strictObject({ compact: z.strictObject({}).prefault({}) }),
  z.strictObject({ wait: positiveDuration }),
  z.strictObject({ command: z.string().min(1) }),
  // Faults (embedded target): a database server restarted, a replicator killed inside a large transaction.
  z.strictObject({
    restart_source: z.strictObject({ down: duration.default(2_000) }).prefault({}),
  }),
  z.strictObject({
    restart_storage: z.strictObject({ down: duration.default(2_000) }).prefault({}),
  }),
  z.strictObject({
    large_transaction: z
      .strictObject({
        rows: positiveCount.default(20_000),
        /** SIGKILL the lock holder right after the commit, while the transaction is being replicated. */
        kill_replicator: z.boolean().default(false),
      })
      .prefault({}),
  }),
]);

/** Steps only the embedded target can take (syncscale owns its processes and servers). */
const EMBEDDED_ONLY = [
  'start_replicator',
  'stop_replicator',
  'roll_api',
  'migrate',
  'compact',
  'restart_source',
  'restart_storage',
];

const embeddedSchema = z.strictObject({
  api: z
    .strictObject({
      containers: positiveCount.default(2),
      heap_mb: z.int().min(64).default(256),
      max_concurrent_connections: positiveCount.default(500),
    })
    .prefault({}),
  lock: z
    .strictObject({ ttl: positiveDuration.default(10_000), refresh: positiveDuration.default(3_000) })
    .prefault({}),
  /** `separate`: bucket storage on its own Postgres server, as production often has it (needed to restart one alone). */
  storage_server: z.enum(['shared', 'separate']).default('shared'),
});

const externalSchema = z.strictObject({
  /** Where clients connect (the load balancer). */
  endpoint: z.url(),
  source_database_url: z.string().min(1),
  /** Bucket storage (Postgres): the lock table is read from it. */
  storage_database_url: z.string().min(1).optional(),
  token: z.strictObject({
    k: z.string().min(1),
    kid: z.string().min(1),
    audience: z.string().default('syncscale'),
  }),
});

const drillSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  // Two optional keys rather than a union, so a mistake inside either is reported at its own path.
  target: z
    .strictObject({ embedded: embeddedSchema.optional(), external: externalSchema.optional() })
    .refine((t) => !(t.embedded && t.external), 'either embedded or external, not both')
    .prefault({}),
  dataset: datasetSchema,
  load: z
    .strictObject({
      clients: positiveCount.default(100),
      transport: z.enum(TRANSPORTS as [Transport, ...Transport[]]).default('http-ndjson'),
      writes_per_second: positiveRate.default(20),
    })
    .prefault({}),
  warmup: duration.default(5_000),
  steps: z.array(stepSchema).min(1),
  settle: duration.default(5_000),
  thresholds: z
    .strictObject({
      handover_after_sigterm: positiveDuration.default(5_000),
      /** Default: the lock TTL + 5 s. */
      handover_after_sigkill: positiveDuration.optional(),
      clients_back_within: positiveDuration.default(30_000),
      /** After a fault step: the failed part back → replication moving (a checkpoint past it) within this. */
      recovered_within: positiveDuration.default(30_000),
      lost_ops: z.int().min(0).default(0),
      duplicated_ops: z.int().min(0).default(0),
      checksum_failures: z.int().min(0).default(0),
    })
    .prefault({}),
  limits: z.strictObject({ max_duration: positiveDuration.default(180_000) }).prefault({}),
});

type DrillFile = z.infer<typeof drillSchema>;
export type DrillStep = DrillFile['steps'][number];

/** A validated drill: the deploy to rehearse, the load around it and the verdict's thresholds. */
export interface Drill {
  name: string;
  description?: string;
  sourcePath?: string;
  target:
    | {
        kind: 'embedded';
        apiContainers: number;
        heapMb: number;
        maxConcurrentConnections: number;
        lockTtlMs: number;
        lockRefreshMs: number;
        storageServer: 'shared' | 'separate';
      }
    | {
        kind: 'external';
        endpoint: string;
        sourceUrl: string;
        storageUrl?: string;
        token: { k: string; kid: string; audience: string };
      };
  dataset: {
    users: number;
    rowsPerUser: number;
    rowSizeBytes: number;
    lists: number;
    syncConfigPath: string;
  };
  load: { clients: number; transport: Transport; writesPerSecond: number };
  warmupMs: number;
  steps: DrillStep[];
  settleMs: number;
  thresholds: {
    handoverAfterSigtermMs: number;
    handoverAfterSigkillMs: number;
    clientsBackWithinMs: number;
    recoveredWithinMs: number;
    lostOps: number;
    duplicatedOps: number;
    checksumFailures: number;
  };
  maxDurationMs: number;
}

/** The kind of a step: its one key. */
export function stepKind(step: DrillStep): string {
  return Object.keys(step)[0]!;
}

/** Reads and validates a drill file; throws ScenarioError with every problem, its path and its line. */
export function loadDrill(path: string, env: NodeJS.ProcessEnv = process.env): Drill {
  const sourcePath = resolve(path);
  let text: string;
  try {
    text = readFileSync(sourcePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ScenarioError(
      [{ path: '', message: code === 'ENOENT' ? 'cannot read drill file: no such file' : String(error) }],
      sourcePath,
    );
  }
  return parseDrill(text, { baseDir: dirname(sourcePath), sourcePath, env });
}

export function parseDrill(
  text: string,
  options: { baseDir?: string; sourcePath?: string; env?: NodeJS.ProcessEnv } = {},
): Drill {
  const source = new YamlSource(text, options.env ?? process.env);
  const name = options.sourcePath ?? 'inline';
  if (source.value === undefined) throw new ScenarioError(source.problems, name);
  const parsed = drillSchema.safeParse(source.value, { error: issueMessage });
  const problems = parsed.success ? [] : zodProblems(parsed.error.issues);
  const located = [
    ...source.problems,
    ...problems.map((p) => {
      const path = p.path.filter((s): s is string | number => typeof s !== 'symbol');
      return { path: formatPath(path), line: source.lineOf(path), message: p.message };
    }),
  ];
  if (!parsed.success || located.length > 0) throw new ScenarioError(located, name);
  const file = parsed.data;
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const { syncConfig, ...dataset } = file.dataset;
  const external = file.target.external;
  const embedded = file.target.embedded ?? embeddedSchema.parse({});
  const target: Drill['target'] = external
    ? {
        kind: 'external',
        endpoint: external.endpoint,
        sourceUrl: external.source_database_url,
        storageUrl: external.storage_database_url,
        token: external.token,
      }
    : {
        kind: 'embedded',
        apiContainers: embedded.api.containers,
        heapMb: embedded.api.heap_mb,
        maxConcurrentConnections: embedded.api.max_concurrent_connections,
        lockTtlMs: embedded.lock.ttl,
        lockRefreshMs: embedded.lock.refresh,
        storageServer: embedded.storage_server,
      };
  const stepProblems = file.steps.flatMap((step, i) => {
    const kind = stepKind(step);
    const killsReplicator = 'large_transaction' in step && step.large_transaction.kill_replicator;
    if (target.kind === 'external' && (EMBEDDED_ONLY.includes(kind) || killsReplicator))
      return [
        {
          path: `steps[${i}].${kind}`,
          line: source.lineOf(['steps', i]),
          message:
            'an external target takes only command, wait and large_transaction (without kill_replicator) steps: syncscale cannot start or stop its processes',
        },
      ];
    if (target.kind === 'embedded' && kind === 'command')
      return [
        {
          path: `steps[${i}].command`,
          line: source.lineOf(['steps', i]),
          message: `command steps are for external targets; the embedded target has ${EMBEDDED_ONLY.join(', ')}, large_transaction and wait`,
        },
      ];
    return [];
  });
  if (stepProblems.length > 0) throw new ScenarioError(stepProblems, name);
  const lockTtlMs = target.kind === 'embedded' ? target.lockTtlMs : 60_000;
  return {
    name: file.name,
    description: file.description,
    ...(options.sourcePath ? { sourcePath: options.sourcePath } : {}),
    target,
    dataset: { ...dataset, syncConfigPath: resolve(baseDir, syncConfig) },
    load: {
      clients: file.load.clients,
      transport: file.load.transport,
      writesPerSecond: file.load.writes_per_second,
    },
    warmupMs: file.warmup,
    steps: file.steps,
    settleMs: file.settle,
    thresholds: {
      handoverAfterSigtermMs: file.thresholds.handover_after_sigterm,
      handoverAfterSigkillMs: file.thresholds.handover_after_sigkill ?? lockTtlMs + 5_000,
      clientsBackWithinMs: file.thresholds.clients_back_within,
      recoveredWithinMs: file.thresholds.recovered_within,
      lostOps: file.thresholds.lost_ops,
      duplicatedOps: file.thresholds.duplicated_ops,
      checksumFailures: file.thresholds.checksum_failures,
    },
    maxDurationMs: file.limits.max_duration,
  };
}
