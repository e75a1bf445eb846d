import type { StreamCompression } from '../fleet/index.js';
/**
 * A scenario as the run uses it: validated, defaulted, durations in milliseconds, paths absolute.
 * The YAML file spells keys in snake_case (`rows_per_user`); these types use camelCase. Shape kinds keep the
 * YAML key they came from (`arrival_rate`, `reconnect_storm`, …) so a kind can be looked up in the file.
 */
export interface Scenario {
  name: string;
  description: string;
  /** The scenario file (absolute), when loaded from one. */
  sourcePath?: string;
  target: ScenarioTarget;
  /** What the clients' HTTP streams accept (see scenario-schema.ts). */
  compression: StreamCompression;
  dataset: Dataset;
  phases: Phase[];
  limits: Limits;
}

export type Transport = 'http-ndjson' | 'http-bson' | 'websocket';
export const TRANSPORTS: readonly Transport[] = ['http-ndjson', 'http-bson', 'websocket'];

export type ScenarioTarget = EmbeddedTarget | ExternalTarget;

/** The reference service on embedded Postgres, started by the run; each process is a separate "container". */
export interface EmbeddedTarget {
  kind: 'embedded';
  /** Replicator processes (`-r sync`); one holds the replication lock, the others stand by. */
  replicators: number;
  api: {
    /** API processes (`-r api`), each with its own heap limit. */
    containers: number;
    /** `--max-old-space-size` of each API process, in MB. */
    heapMb: number;
    /** `api.parameters.max_concurrent_connections` of each API process. */
    maxConcurrentConnections: number;
  };
  postgres: {
    /** Absolute data directory to keep between runs; a fresh temporary one when absent. */
    dataDir?: string;
  };
}

/** A deployment the user runs; syncscale only connects to it. */
export interface ExternalTarget {
  kind: 'external';
  /** The sync service's base URL (`http:` or `https:`). Never defaulted. */
  endpoint: string;
  /** The source Postgres the dataset is loaded into and the writers write to. */
  sourceDatabaseUrl: string;
  token: TokenSource;
  /** Bucket storage, when reachable: probed for its size (Postgres) or dbStats (MongoDB). */
  storage?: { kind: 'postgres' | 'mongodb'; url: string };
  /** The deployment's processes by role (a unified process counts as API and replicator). */
  processes: ExternalProcess[];
  /** The service's Prometheus endpoint, when reachable (shorthand for one unified process). */
  metricsUrl?: string;
  /** A service process id on this machine, for CPU and memory probes (shorthand, as metricsUrl). */
  pid?: number;
}

/** A process of an external deployment: observed through its pid (/proc) and/or its metrics URL. */
export interface ExternalProcess {
  role: 'api' | 'replicator' | 'unified' | 'compact';
  pid?: number;
  metricsUrl?: string;
  /** The command that runs it (the compact job). */
  command?: string;
}

export type TokenAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** How fleet clients get their tokens: minted per user from a shared key, or printed by a command. */
export type TokenSource =
  | {
      kind: 'key';
      /** The HMAC secret, base64url (the JWK `k` member). */
      k: string;
      kid?: string;
      alg: TokenAlgorithm;
      /** `aud` claim; the fleet's default when absent. */
      audience?: string[];
    }
  | {
      kind: 'command';
      /** A shell command printing a token; `$SYNCSCALE_USER_ID` is set to the client's user. */
      command: string;
    };

export interface Dataset {
  users: number;
  rowsPerUser: number;
  rowSizeBytes: number;
  /** Rows of the `lists` table every client syncs (the `global` bucket). */
  lists: number;
  /** Absolute path of the sync config the service runs with. */
  syncConfigPath: string;
}

export interface Limits {
  /** Hard cap on the whole run, setup included. */
  maxDurationMs: number;
}

export interface Phase {
  name: string;
  durationMs: number;
  /** The first ms of the phase, while its clients connect: the write schedule's lateness is not judged. */
  settleMs: number;
  clients: ClientShape;
  writes?: WriteShape;
  /** Client writes through an application backend (autocannon), instead of or beside `writes`. */
  upload?: UploadShape;
  actions: Action[];
  /** `metric{tag:value}` → expressions such as `p(99) < 250`. */
  thresholds: Record<string, string[]>;
}

export interface ClientShape {
  load: ClientLoad;
  /** Transports with their share of the clients (shares sum to 1). */
  transports: TransportShare[];
}

export interface TransportShare {
  transport: Transport;
  share: number;
}

export type ClientLoad =
  /** A fixed number of connected clients for the whole phase. */
  | { kind: 'constant'; clients: number }
  /** Linearly from `from` to `to` clients over the phase. */
  | { kind: 'ramp'; from: number; to: number }
  /** Open model: new clients arrive at `perSecond`, each staying `sessionMs`. */
  | { kind: 'arrival_rate'; perSecond: number; sessionMs: number }
  /** `clients` connected; `perSecond` of them disconnect and are replaced by new clients each second. */
  | { kind: 'churn'; clients: number; perSecond: number }
  /** `clients` connected; at `atMs` (within the phase) every connection drops and all reconnect at once. */
  | { kind: 'reconnect_storm'; clients: number; atMs: number };

export interface UploadShape {
  perSecond: number;
  connections: number;
  target: { kind: 'example' } | { kind: 'url'; url: string };
  method: 'POST' | 'PUT' | 'PATCH';
  /** Body template: {{id}}, {{user}}, {{payload}}, {{now}}. */
  body: string;
  headers: Record<string, string>;
}

export interface WriteShape {
  rate: WriteRate;
  /** Operation shares (sum to 1). */
  mix: { insert: number; update: number; delete: number };
  rowsPerTransaction: number;
  keys: KeyChoice;
}

/** Transactions per second against the source database. */
export type WriteRate =
  | { kind: 'constant'; perSecond: number }
  /** Consecutive steps; their durations sum to the phase duration. */
  | { kind: 'steps'; steps: Array<{ perSecond: number; durationMs: number }> }
  | { kind: 'ramp'; from: number; to: number }
  /** Poisson arrivals with this mean rate. */
  | { kind: 'poisson'; perSecond: number };

/** Which rows a write touches: uniformly, or Zipf-skewed (probability ∝ 1 / rank^exponent: a few hot users). */
export type KeyChoice = { kind: 'uniform' } | { kind: 'zipf'; exponent: number };

/** Something done to the target at a time within a phase (`atMs` is relative to the phase start). */
export type Action =
  | { kind: 'compact'; atMs: number; buckets?: string[]; memoryLimitMb?: number }
  /** SIGTERM one process of that role, then start it again. */
  | { kind: 'restart'; atMs: number; process: 'api' | 'replicator' }
  /** SIGKILL the replicator holding the lock; start it again after `restartAfterMs` when given. */
  | { kind: 'kill_replicator'; atMs: number; restartAfterMs?: number }
  /** One source transaction of `rows` unstamped rows; the result times its replication. */
  | { kind: 'large_transaction'; atMs: number; rows: number };
