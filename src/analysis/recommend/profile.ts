import fs from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../../service/config/index.js';
import { parseYamlSafely } from '../../yaml/index.js';

const positive = z.number().positive();
const share = z.number().gt(0).lte(1);
const duration = z.string().refine(
  (text) => {
    try {
      parseDuration(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a duration such as 2h, 90m or 30s' },
);

const connections = z.union([
  z.strictObject({ peak: z.number().int().positive() }),
  z.strictObject({ users: z.number().int().positive(), devices_per_user: positive, online_share: share }),
]);

export const profileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  connections,
  writes: z.strictObject({
    peak_tx_per_second: positive,
    average_tx_per_second: positive,
    rows_per_transaction: positive.default(1),
  }),
  data: z.strictObject({
    users: z.number().int().positive(),
    rows_per_user: positive,
    bytes_per_row: positive,
    growth_rows_per_user_per_day: z.number().nonnegative().default(0),
  }),
  containers: z.strictObject({
    shapes: z
      .array(
        z.strictObject({
          cpu: positive,
          memory_mb: z.number().int().min(128),
          /** What one container of this shape costs per hour (any currency, the same for every shape). */
          price_per_hour: z.number().nonnegative().optional(),
        }),
      )
      .min(1),
    /** Price per hour of the compact job's container and of the storage, for the monthly total. */
    compact_price_per_hour: z.number().nonnegative().optional(),
    storage_price_per_hour: z.number().nonnegative().optional(),
  }),
  utilisation: z
    .strictObject({
      /** Share of a container's CPU and memory the predicted load may use. */
      target: share.default(0.7),
      /** Extra share added to the peak load before sizing (growth and error margin). */
      headroom: z.number().min(0).max(10).default(0.2),
    })
    .default({ target: 0.7, headroom: 0.2 }),
  objectives: z
    .strictObject({
      checkpoint_latency_p99_ms: positive.optional(),
      e2e_latency_p99_ms: positive.optional(),
      /** Connect to first checkpoint_complete, p99: what a reconnect storm costs each client. */
      first_checkpoint_p99_ms: positive.optional(),
    })
    .default({}),
  high_availability: z
    .strictObject({
      n_plus_one: z.boolean().default(true),
      min_api_containers: z.number().int().min(1).default(2),
    })
    .default({ n_plus_one: true, min_api_containers: 2 }),
  api: z
    .strictObject({ max_concurrent_connections: z.number().int().positive().default(200) })
    .default({ max_concurrent_connections: 200 }),
  compaction: z.strictObject({ window: duration.default('2h') }).default({ window: '2h' }),
  /** MongoDB storage: how long a replica set member may be down and still catch up from the oplog. */
  storage: z.strictObject({ oplog_window_hours: positive.default(24) }).default({ oplog_window_hours: 24 }),
  replication: z
    .strictObject({
      container: z.strictObject({ cpu: positive, memory_mb: z.number().int().min(128) }).optional(),
    })
    .default({}),
});

export type CapacityProfile = z.infer<typeof profileSchema>;

export interface ProfileProblem {
  path: string;
  message: string;
}

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(
    readonly file: string,
    readonly problems: ProfileProblem[],
  ) {
    super(
      `${file}: invalid capacity profile\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
  }
}

/** Validates a parsed profile document; throws ProfileError listing every problem with its path. */
export function parseProfile(data: unknown, file = '<profile>'): CapacityProfile {
  const parsed = profileSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ProfileError(
    file,
    parsed.error.issues.map((issue) => ({ path: issue.path.join('.') || '(root)', message: issue.message })),
  );
}

export function loadProfile(file: string): CapacityProfile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ProfileError(file, [{ path: '(file)', message: (error as Error).message }]);
  }
  const parsed = parseYamlSafely(text);
  if (parsed.problems.length > 0) {
    throw new ProfileError(
      file,
      parsed.problems.map((problem) => ({
        path: '(yaml)',
        message: `${problem.line ? `line ${problem.line}: ` : ''}${problem.message}`,
      })),
    );
  }
  return parseProfile(parsed.value, file);
}

/** Peak concurrent connections the profile expects (before headroom). */
export function peakConnections(profile: CapacityProfile): number {
  const c = profile.connections;
  return 'peak' in c ? c.peak : Math.ceil(c.users * c.devices_per_user * c.online_share);
}

export const compactionWindowMs = (profile: CapacityProfile): number =>
  parseDuration(profile.compaction.window);
