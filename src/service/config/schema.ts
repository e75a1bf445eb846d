import { z } from 'zod';
import { portNumber, postgresConnectionKeys } from './postgres-connection.js';
import { clientAuthSchema } from './client-auth-schema.js';
import { isPlainObject } from './yaml-env.js';

/**
 * The shape of the service config file (service.md §11), validated by zod into snake_case with defaults.
 * Objects are strict: an unknown key is an error, like the service's JSON schema. Keys the service accepts
 * but the reference service does not implement are typed loosely here and reported as warnings
 * (see unimplemented-keys.ts). The connection rules that span several keys (PSYNC_S1105–S1109) are checked
 * apart from zod, in postgres-connection.ts, so they are reported even when a sibling key is invalid.
 */
const LOG_LEVELS = ['silly', 'debug', 'verbose', 'info', 'warn', 'error'] as const;

function positiveInt(defaultValue: number) {
  return z.int().positive().default(defaultValue);
}

/** The message for a missing or unknown `type` discriminator. */
function typeError(what: string, supported: string) {
  return (issue: { input?: unknown }) => {
    if (!isPlainObject(issue.input)) return undefined;
    const type = issue.input.type;
    return type === undefined
      ? `${what} type required (${supported})`
      : `unknown ${what} type ${JSON.stringify(type)} (${supported})`;
  };
}

/** Connection types the service has modules for but the reference service does not. */
function unsupportedType<T extends string>(type: T, what: string) {
  return z.looseObject({ type: z.literal(type) }).superRefine((_value, ctx) => {
    const message = `${what} type ${type} is not supported by the reference service yet (use postgresql)`;
    ctx.addIssue({ code: 'custom', message, path: ['type'] });
  });
}

const sourceConnectionSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('postgresql'),
      id: z.string().default('default'),
      tag: z.string().default('default'),
      ...postgresConnectionKeys,
      slot_name_prefix: z
        .string()
        .regex(/^[a-z0-9_]+$/, 'slot names may only contain lower-case letters, digits and _')
        .default('powersync_'),
      max_pool_size: z.int().positive().optional(),
      heartbeat_interval_seconds: z
        .number({ error: 'expected a number of seconds' })
        .min(5, 'invalid heartbeat interval (PSYNC_S1110): must be between 5 and 60 seconds')
        .max(60, 'invalid heartbeat interval (PSYNC_S1110): must be between 5 and 60 seconds')
        .default(60),
      snapshot_socket_timeout: z.unknown().optional(),
      debug_api: z.unknown().optional(),
    }),
    unsupportedType('mongodb', 'connection'),
    unsupportedType('mysql', 'connection'),
    unsupportedType('mssql', 'connection'),
  ],
  { error: typeError('connection', 'postgresql') },
);

const postgresStorageSchema = z.strictObject({
  type: z.literal('postgresql'),
  ...postgresConnectionKeys,
  max_pool_size: positiveInt(8),
  batch_limits: z
    .strictObject({
      max_record_count: positiveInt(2000),
      max_estimated_size: positiveInt(5_000_000),
      max_current_data_batch_size: positiveInt(50_000_000),
    })
    .prefault({}),
  default_storage_version: z.int().default(2),
  object_storage: z.unknown().optional(),
});

const storageSchema = z.discriminatedUnion(
  'type',
  [postgresStorageSchema, unsupportedType('mongodb', 'storage')],
  {
    error: typeError('storage', 'postgresql; mongodb is not supported by the reference service yet'),
  },
);

const syncConfigSchema = z
  .strictObject({ path: z.string().min(1), content: z.string(), exit_on_error: z.boolean() })
  .partial();

const apiSchema = z
  .strictObject({
    tokens: z.array(z.string()).default([]),
    // Reference-service extension: gzip negotiation on sync streams (each compression stream costs memory).
    compression: z.boolean().default(true),
    parameters: z
      .strictObject({
        max_concurrent_connections: positiveInt(200),
        max_data_fetch_concurrency: positiveInt(10),
        max_buckets_per_connection: positiveInt(1000),
        max_parameter_query_results: positiveInt(1000),
        checkpoint_request_retention_minutes: positiveInt(60),
        bucket_count_cache_ttl_minutes: positiveInt(60),
      })
      .prefault({}),
  })
  .prefault({});

const telemetrySchema = z.strictObject({
  prometheus_port: portNumber(0, 65535).optional(),
  disable_telemetry_sharing: z.boolean(),
  internal_service_endpoint: z.string().optional(),
});

const healthcheckSchema = z.strictObject({
  probes: z
    .strictObject({ use_http: z.boolean(), use_filesystem: z.boolean(), use_legacy: z.boolean() })
    .partial()
    .optional(),
});

const systemSchema = z
  .strictObject({
    logging: z
      .strictObject({
        level: z.enum(LOG_LEVELS).default('info'),
        format: z.enum(['json', 'text']).default('text'),
      })
      .prefault({}),
  })
  .prefault({});

export const serviceConfigSchema = z.strictObject(
  {
    host: z.string().min(1).default('127.0.0.1'),
    port: portNumber(0, 65535).default(8080),
    replication: z.strictObject({ connections: z.array(sourceConnectionSchema).default([]) }).prefault({}),
    storage: storageSchema,
    sync_config: syncConfigSchema.optional(),
    sync_rules: syncConfigSchema.optional(),
    client_auth: clientAuthSchema.prefault({}),
    api: apiSchema,
    telemetry: telemetrySchema.optional(),
    migrations: z.strictObject({ disable_auto_migration: z.boolean().default(false) }).prefault({}),
    healthcheck: healthcheckSchema.optional(),
    system: systemSchema,
    metadata: z.record(z.string(), z.string()).default({}),
    parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    dev: z.unknown().optional(),
    connection_report: z.unknown().optional(),
  },
  {
    error: (issue) =>
      issue.code === 'invalid_type' ? 'the configuration must be a mapping of keys' : undefined,
  },
);

export type RawServiceConfig = z.output<typeof serviceConfigSchema>;
