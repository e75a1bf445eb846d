import { z } from 'zod';
import { count, positiveCount } from './schema-helpers.js';

/** The shipped sync config, relative to a scenario under `scenarios/`. */
export const DEFAULT_SYNC_CONFIG = '../fixtures/sync-config.yaml';

/** `dataset`: what is loaded into the source database before the phases. `sync_config` stays relative here. */
export const datasetSchema = z
  .strictObject({
    users: positiveCount.default(100),
    rows_per_user: count.default(10),
    row_size_bytes: z.int().min(16).max(1_048_576).default(256),
    lists: count.default(10),
    sync_config: z.string().min(1).default(DEFAULT_SYNC_CONFIG),
  })
  .transform((value) => ({
    users: value.users,
    rowsPerUser: value.rows_per_user,
    rowSizeBytes: value.row_size_bytes,
    lists: value.lists,
    syncConfig: value.sync_config,
  }))
  .prefault({});
