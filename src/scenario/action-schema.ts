import { z } from 'zod';
import { duration, exactlyOneOf, positiveCount, positiveDuration } from './schema-helpers.js';
import type { Action } from './types.js';

const KINDS = ['compact', 'restart', 'kill_replicator', 'large_transaction'] as const;

const fields = z.strictObject({
  at: duration,
  compact: z
    .strictObject({
      buckets: z.array(z.string().min(1)).min(1).optional(),
      memory_limit_mb: positiveCount.optional(),
    })
    .nullable()
    .optional(),
  restart: z.enum(['api', 'replicator']).optional(),
  kill_replicator: z.strictObject({ restart_after: positiveDuration.optional() }).nullable().optional(),
  large_transaction: z.strictObject({ rows: positiveCount.max(10_000_000) }).optional(),
});

/**
 * One of a phase's `actions`: `{ at: 20s, compact: {} }`, `{ at, restart: api }`, `{ at, kill_replicator: {} }`,
 * `{ at, large_transaction: { rows: 100000 } }`.
 */
export const actionSchema = exactlyOneOf(fields, KINDS).transform((value): Action => {
  const atMs = value.at;
  if (value.large_transaction) return { kind: 'large_transaction', atMs, rows: value.large_transaction.rows };
  if (value.restart) return { kind: 'restart', atMs, process: value.restart };
  if (value.kill_replicator !== undefined) {
    return { kind: 'kill_replicator', atMs, restartAfterMs: value.kill_replicator?.restart_after };
  }
  return {
    kind: 'compact',
    atMs,
    buckets: value.compact?.buckets,
    memoryLimitMb: value.compact?.memory_limit_mb,
  };
});
