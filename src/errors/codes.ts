/**
 * Every error code syncscale emits. PSYNC_* codes mirror the PowerSync service (service.md §10) so operators
 * can look them up in the vendor's documentation; SSCALE_* codes are the toolkit's own.
 * docs/errors.md is kept in step with this table by a test.
 */
export const ErrorCodes = {
  /**
   * A request body that is not JSON (HTTP). The real service (Fastify's JSON parser) answers 400 with this
   * code rather than a PSYNC code; the reference service answers the same (errors.md).
   */
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    title: "Body is not valid JSON but content-type is set to 'application/json'",
  },
  /** Internal assertion: a bug in syncscale. */
  PSYNC_S0001: { status: 500, title: 'Internal assertion failed' },
  /** A replicated row was larger than 15 MB and was dropped. */
  PSYNC_S1002: { status: 500, title: 'Row too large' },
  /** Another process holds the replication lock. Normal for up to a minute during rolling deploys or after a forced kill; persistent means two replicators run. */
  PSYNC_S1003: { status: 500, title: 'Replication stream is locked by another process, standing by.' },
  /** JSON nested deeper than 20 levels. */
  PSYNC_S1004: { status: 500, title: 'JSON nesting too deep' },
  /** Storage was written by a newer storage version than this build supports. */
  PSYNC_S1005: { status: 500, title: 'Storage version not supported' },
  /** Replication assertion error. */
  PSYNC_S1101: { status: 500, title: 'Replication assertion error' },
  /** Initial replication was aborted (normal on stop). */
  PSYNC_S1103: { status: 500, title: 'Initial replication aborted' },
  /** Postgres connection config: database name required. */
  PSYNC_S1105: { status: 500, title: 'Postgres connection: database required' },
  /** Postgres connection config: hostname required. */
  PSYNC_S1106: { status: 500, title: 'Postgres connection: hostname required' },
  /** Postgres connection config: username required. */
  PSYNC_S1107: { status: 500, title: 'Postgres connection: username required' },
  /** Postgres connection config: invalid URI. */
  PSYNC_S1109: { status: 500, title: 'Postgres connection: invalid URI' },
  /** Postgres connection config: invalid port. */
  PSYNC_S1110: { status: 500, title: 'Postgres connection: invalid port' },
  /** Error querying the source database (connection lost, query failed). Retried with backoff. */
  PSYNC_S1120: { status: 500, title: 'Source database query failed' },
  /** The publication `powersync` does not exist on the source. */
  PSYNC_S1141: { status: 500, title: 'Publication "powersync" does not exist' },
  /** The publication does not publish insert, update, delete and truncate. */
  PSYNC_S1142: { status: 500, title: 'Publication does not publish all changes' },
  /** The publication uses publish_via_partition_root. */
  PSYNC_S1143: { status: 500, title: 'Publication uses publish_via_partition_root' },
  /** Replication slot missing or invalidated (WAL retention exceeded): replication restarts with a new slot. */
  PSYNC_S1146: { status: 500, title: 'Replication slot invalidated or missing' },
  /** Generic internal error, or request validation failure (400). */
  PSYNC_S2001: { status: 500, title: 'Something went wrong' },
  /** Route not found. */
  PSYNC_S2002: { status: 404, title: 'The path does not exist on this server' },
  /** Service restarting or shutting down: retry later. */
  PSYNC_S2003: { status: 503, title: 'Service temporarily unavailable' },
  /** Unsupported media type. */
  PSYNC_S2004: { status: 415, title: 'Unsupported media type' },
  /** Generic authentication error. */
  PSYNC_S2101: { status: 401, title: 'Authentication failed' },
  /** Could not verify the token signature. */
  PSYNC_S2102: { status: 401, title: 'Could not verify token signature' },
  /** Token expired. */
  PSYNC_S2103: { status: 401, title: 'JWT has expired' },
  /** Token lifetime (exp - iat) longer than 24 h. */
  PSYNC_S2104: { status: 401, title: 'Token lifetime too long' },
  /** aud missing or not allowed. */
  PSYNC_S2105: { status: 401, title: 'Unexpected "aud" claim value' },
  /** No token, or a malformed Authorization header. */
  PSYNC_S2106: { status: 401, title: 'Authentication required' },
  /** No sync config is active yet (not deployed or still in initial replication). */
  PSYNC_S2302: { status: 500, title: 'No sync config available' },
  /** Maximum concurrent connections reached. */
  PSYNC_S2304: { status: 429, title: 'Maximum active concurrent connections limit has been reached' },
  /** Too many buckets or parameter query results for one connection. */
  PSYNC_S2305: { status: 400, title: 'Too many buckets' },
  /** Configuration validation failed. */
  PSYNC_S3201: { status: 500, title: 'Configuration validation failed' },
  /** Sync config parse error. */
  PSYNC_R0001: { status: 500, title: 'Sync config parse error' },
  /** Toolkit: embedded Postgres could not be started or stopped. */
  SSCALE_E0001: { status: 500, title: 'Embedded Postgres failed' },
  /** Toolkit: a migration failed or the storage schema is not at the expected version. */
  SSCALE_E0002: { status: 500, title: 'Storage migration failed' },
  /** Toolkit: invalid command-line usage. */
  SSCALE_E0003: { status: 400, title: 'Invalid command-line usage' },
  /** Run: rows were written while clients were connected, but no stamped row (column ss_ts) reached a client: the sync config does not deliver the stamp, so end-to-end latency is not measured. */
  SSCALE_R0001: { status: 500, title: 'Stamp column not delivered' },
  /** Run: an external target's declared part (source or storage database, a pid, a metrics URL) does not answer; nothing was started. */
  SSCALE_T0001: { status: 400, title: 'External target not reachable as declared' },
  /** Calibration: it was made on a different scenario shape (transport, compression, sync config buckets) than the run sized; `--force` applies it anyway. */
  SSCALE_C0001: { status: 400, title: 'Calibration does not fit the run' },
  /** Calibration: the file cannot be read or is not a syncscale calibration. */
  SSCALE_C0002: { status: 400, title: 'Calibration unreadable' },
  /** A calibration run with fewer than 3 valid connection levels (after invalid phases are left out). */
  SSCALE_C0003: { status: 400, title: 'Too few valid levels to calibrate' },
  /** Gate: a baseline or candidate names no saved run, baseline file or command. */
  SSCALE_G0001: { status: 400, title: 'Gate input not found' },
  /** Gate: the runs compared come from different scenarios (name or phases differ). */
  SSCALE_G0002: { status: 400, title: 'Gate runs are from different scenarios' },
  /** Gate: fewer than 3 runs on a side; one statistic per run needs at least 3 per side. */
  SSCALE_G0003: { status: 400, title: 'Too few runs to compare' },
  /** Gate: a run is invalid (its load generator saturated or fell behind); invalid runs are never compared. */
  SSCALE_G0004: { status: 400, title: 'Invalid run in a gate comparison' },
  /** Gate: the two sides ran on different machines and only machine-dependent metrics were asked for. */
  SSCALE_G0005: { status: 400, title: 'Runs from different machines' },
  /** Gate: a baseline or candidate command failed (not exit 0 or 99) or wrote no run. */
  SSCALE_G0006: { status: 500, title: 'Gate command failed' },
  /** Run: an upload phase's requests could not be sent (the backend did not start, or autocannon failed). */
  SSCALE_U0001: { status: 500, title: 'Upload phase failed' },
  /** k6 export: the scenario gives no deployment k6 pods can reach, or no HS256 key to sign tokens with. */
  SSCALE_K0001: { status: 400, title: 'Scenario cannot be exported to k6' },
  /** k6 ingest: a file is not k6 JSON output (`k6 run --out json=…`) or holds no syncscale samples. */
  SSCALE_K0002: { status: 400, title: 'Not k6 JSON output' },
  /** k6 ingest: the pods' outputs come from different scenarios (their syncscale_hash tags differ). */
  SSCALE_K0003: { status: 400, title: 'k6 outputs from different scenarios' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;
