import { z } from 'zod';
import { exactlyOneOf, positiveCount } from './schema-helpers.js';
import type {
  EmbeddedTarget,
  ExternalProcess,
  ExternalTarget,
  ScenarioTarget,
  TokenSource,
} from './types.js';

const embedded = z
  .strictObject({
    replicators: positiveCount.max(8).default(1),
    api: z
      .strictObject({
        containers: positiveCount.max(64).default(1),
        heap_mb: z.int().min(64).default(512),
        max_concurrent_connections: positiveCount.default(200),
      })
      .prefault({}),
    postgres: z.strictObject({ data_dir: z.string().min(1).optional() }).prefault({}),
  })
  .transform((value): EmbeddedTarget => ({
    kind: 'embedded',
    replicators: value.replicators,
    api: {
      containers: value.api.containers,
      heapMb: value.api.heap_mb,
      maxConcurrentConnections: value.api.max_concurrent_connections,
    },
    postgres: { dataDir: value.postgres.data_dir },
  }));

const httpUrl = z.url({ protocol: /^https?$/, error: urlError('an http:// or https://') });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: urlError('a postgres:// or postgresql://') });

function urlError(kind: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'required' : `expected ${kind} URL`;
}

const tokenKey = z.strictObject({
  k: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected the secret in base64url (the JWK `k` member)'),
  kid: z.string().min(1).optional(),
  alg: z.enum(['HS256', 'HS384', 'HS512']).default('HS256'),
});

const token = exactlyOneOf(
  z.strictObject({
    key: tokenKey.optional(),
    command: z.string().min(1).optional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  }),
  ['key', 'command'],
)
  .refine((value) => !(value.command !== undefined && value.audience !== undefined), {
    message: 'audience applies to a minted token (key), not to a token command',
    path: ['audience'],
  })
  .transform((value): TokenSource => {
    const audience = typeof value.audience === 'string' ? [value.audience] : value.audience;
    if (value.key) return { kind: 'key', ...value.key, audience };
    return { kind: 'command', command: value.command ?? '' };
  });

const mongodbUrl = z.url({
  protocol: /^mongodb(\+srv)?$/,
  error: urlError('a mongodb:// or mongodb+srv://'),
});

/** One process of the deployment: its role, and how to observe (pid, metrics) or run it (command). */
const process = z
  .strictObject({
    role: z.enum(['api', 'replicator', 'unified', 'compact']),
    pid: positiveCount.optional(),
    metrics_url: httpUrl.optional(),
    /** For `compact`: the command that runs the compact job (e.g. `docker compose run --rm compact`). */
    command: z.string().min(1).optional(),
  })
  .refine((p) => p.role === 'compact' || p.pid !== undefined || p.metrics_url !== undefined, {
    message: 'give pid and/or metrics_url so the process can be observed',
  })
  .refine((p) => p.role !== 'compact' || p.command !== undefined, {
    message: 'a compact process needs the command that runs the job',
    path: ['command'],
  });

const storage = exactlyOneOf(
  z.strictObject({ postgres_url: postgresUrl.optional(), mongodb_url: mongodbUrl.optional() }),
  ['postgres_url', 'mongodb_url'],
);

const external = z
  .strictObject({
    endpoint: httpUrl,
    source_database_url: postgresUrl,
    token,
    /** Bucket storage, when the scenario can reach it (it is often not the source database). */
    storage: storage.optional(),
    processes: z.array(process).optional(),
    /** Shorthand for one unified process (older scenarios). */
    metrics_url: httpUrl.optional(),
    pid: positiveCount.optional(),
  })
  .transform((value): ExternalTarget => {
    const processes: ExternalProcess[] = (value.processes ?? []).map((p) => ({
      role: p.role,
      pid: p.pid,
      metricsUrl: p.metrics_url,
      command: p.command,
    }));
    if (value.pid !== undefined || value.metrics_url !== undefined)
      processes.push({ role: 'unified', pid: value.pid, metricsUrl: value.metrics_url });
    return {
      kind: 'external',
      endpoint: value.endpoint,
      sourceDatabaseUrl: value.source_database_url,
      token: value.token,
      storage: value.storage?.postgres_url
        ? { kind: 'postgres', url: value.storage.postgres_url }
        : value.storage?.mongodb_url
          ? { kind: 'mongodb', url: value.storage.mongodb_url }
          : undefined,
      processes,
      metricsUrl: value.metrics_url,
      pid: value.pid,
    };
  });

/** `target`: `embedded` (the default, every field defaulted) or `external` (endpoint never defaulted). */
export const targetSchema = z
  .strictObject({ embedded: embedded.optional(), external: external.optional() })
  .superRefine(
    (value, ctx) => {
      if (isObject(value) && value.embedded !== undefined && value.external !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'give embedded or external, not both',
          input: value,
        });
      }
    },
    { when: () => true },
  )
  .transform((value): ScenarioTarget => value.external ?? value.embedded ?? embedded.parse({}))
  .prefault({});

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
