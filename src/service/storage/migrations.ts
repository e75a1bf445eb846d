import type pg from 'pg';

/**
 * Storage schema migrations, applied in order. Each runs in its own transaction together with the update
 * of `powersync.migrations`. `down` reverts exactly what `up` created.
 */
export interface Migration {
  id: number;
  name: string;
  up: (client: pg.ClientBase) => Promise<void>;
  down: (client: pg.ClientBase) => Promise<void>;
}

const init: Migration = {
  id: 1,
  name: '1-init',
  async up(client) {
    await client.query(`
      CREATE SEQUENCE powersync.op_id_sequence AS int8 START 1;
      CREATE SEQUENCE powersync.sync_rules_id_sequence AS int8 START 1;

      CREATE TABLE powersync.sync_rules (
        id integer PRIMARY KEY,
        state text NOT NULL,
        content text NOT NULL,
        slot_name text NOT NULL,
        snapshot_done boolean NOT NULL DEFAULT false,
        snapshot_lsn text,
        last_checkpoint bigint,
        last_checkpoint_lsn text,
        -- Highest source commit LSN whose changes are in storage (checkpointed or parked): replays skip it.
        persisted_lsn text,
        no_checkpoint_before text,
        keepalive_op bigint,
        last_checkpoint_ts timestamptz,
        last_keepalive_ts timestamptz,
        last_fatal_error text,
        storage_version integer NOT NULL DEFAULT 2,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE powersync.source_tables (
        id bigserial PRIMARY KEY,
        group_id integer NOT NULL,
        connection_id integer NOT NULL DEFAULT 1,
        relation_id integer,
        schema_name text NOT NULL,
        table_name text NOT NULL,
        replica_id_columns jsonb NOT NULL,
        snapshot_done boolean NOT NULL DEFAULT false,
        snapshot_last_key text,
        snapshot_replicated_count bigint NOT NULL DEFAULT 0,
        snapshot_total_estimated_count bigint,
        no_checkpoint_before text
      );
      CREATE INDEX source_tables_lookup ON powersync.source_tables (group_id, schema_name, table_name);

      CREATE TABLE powersync.bucket_data (
        group_id integer NOT NULL,
        bucket_name text NOT NULL,
        op_id bigint NOT NULL,
        op text NOT NULL,
        source_table bigint,
        source_key bytea,
        subkey text,
        table_name text,
        row_id text,
        checksum bigint NOT NULL,
        data text,
        target_op bigint,
        PRIMARY KEY (group_id, bucket_name, op_id)
      );

      -- Pre-aggregated checksum and count per bucket, updated in the same transaction as its ops, so a
      -- checkpoint's checksums never need a full scan of the bucket.
      CREATE TABLE powersync.bucket_state (
        group_id integer NOT NULL,
        bucket_name text NOT NULL,
        op_count bigint NOT NULL,
        checksum bigint NOT NULL,
        last_op bigint NOT NULL,
        ops_since_compact bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, bucket_name)
      ) WITH (fillfactor = 50);
      -- No index beyond the key: every replicated op updates its bucket's row, and with free space in the
      -- page and no indexed column changing, those updates are HOT (no index writes).

      CREATE TABLE powersync.current_data (
        group_id integer NOT NULL,
        source_table bigint NOT NULL,
        source_key bytea NOT NULL,
        buckets jsonb NOT NULL,
        data bytea,
        lookups bytea[] NOT NULL,
        PRIMARY KEY (group_id, source_table, source_key)
      );

      CREATE TABLE powersync.bucket_parameters (
        id bigint PRIMARY KEY,
        group_id integer NOT NULL,
        source_table bigint NOT NULL,
        source_key bytea NOT NULL,
        lookup bytea NOT NULL,
        bucket_parameters text NOT NULL
      );
      CREATE INDEX bucket_parameters_lookup ON powersync.bucket_parameters (group_id, lookup, id DESC);
      CREATE INDEX bucket_parameters_source ON powersync.bucket_parameters (group_id, source_table, source_key);

      CREATE TABLE powersync.write_checkpoints (
        user_id text PRIMARY KEY,
        lsns jsonb NOT NULL,
        write_checkpoint bigint NOT NULL,
        processed_at_lsn text,
        checkpoint_requested_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX write_checkpoints_unprocessed ON powersync.write_checkpoints (checkpoint_requested_at)
        WHERE processed_at_lsn IS NULL;
    `);
  },
  async down(client) {
    await client.query(`
      DROP TABLE IF EXISTS powersync.write_checkpoints, powersync.bucket_parameters, powersync.current_data,
        powersync.bucket_state, powersync.bucket_data, powersync.source_tables, powersync.sync_rules;
      DROP SEQUENCE IF EXISTS powersync.sync_rules_id_sequence, powersync.op_id_sequence;
    `);
  },
};

const instance: Migration = {
  id: 2,
  name: '2-instance',
  async up(client) {
    await client.query(`
      CREATE TABLE powersync.instance (id text PRIMARY KEY);
      INSERT INTO powersync.instance (id) VALUES (gen_random_uuid()::text);
    `);
  },
  async down(client) {
    await client.query('DROP TABLE IF EXISTS powersync.instance');
  },
};

export const MIGRATIONS: readonly Migration[] = [init, instance];
