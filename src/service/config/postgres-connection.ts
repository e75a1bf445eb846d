import { z } from 'zod';
import { formatPath, type ConfigProblem } from './config-error.js';
import type { PostgresConnection, SslMode } from './types.js';
import { isPlainObject } from './yaml-env.js';

/**
 * Postgres connection keys shared by `replication.connections[]` and `storage`, their checks (with the
 * service's PSYNC_S1105–S1110 meanings) and their resolution into one connection string. As in the service,
 * `uri` and the separate keys may be combined: a separate key overrides the matching part of the URI.
 */
export const SSL_MODES = ['verify-full', 'verify-ca', 'disable'] as const;
const DEFAULT_PORT = 5432;

/** A port given as a number or a numeric string (as `!env` without a cast produces). */
export function portNumber(min?: number, max?: number) {
  let port = z.int({ error: 'expected a port number (a number or a numeric string)' });
  if (min !== undefined) port = port.min(min, `must be a port number between ${min} and ${max}`);
  if (max !== undefined) port = port.max(max, `must be a port number between ${min} and ${max}`);
  return z.preprocess(
    (value) => (typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    port,
  );
}

/** Keys of every Postgres connection. Keys typed `unknown` are accepted but not implemented (warned about). */
export const postgresConnectionKeys = {
  uri: z.string().optional(),
  hostname: z.string().min(1).optional(),
  port: portNumber().optional(),
  database: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  sslmode: z.enum(SSL_MODES).optional(),
  cacert: z.unknown().optional(),
  client_certificate: z.unknown().optional(),
  client_private_key: z.unknown().optional(),
  tls_servername: z.unknown().optional(),
  reject_ip_ranges: z.unknown().optional(),
  connect_timeout: z.unknown().optional(),
};

export type RawPostgresConnection = {
  uri?: string | undefined;
  hostname?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  sslmode?: SslMode | undefined;
};

const connectionFields = z.object(postgresConnectionKeys);

/**
 * The cross-key problems (required parts, invalid URI, port range) of the source connections and the storage,
 * with full paths. A connection whose keys have the wrong types is skipped: validation reports those.
 */
export function postgresConnectionProblems(tree: unknown): ConfigProblem[] {
  const root = isPlainObject(tree) ? tree : {};
  const replication = isPlainObject(root.replication) ? root.replication : {};
  const candidates: [PropertyKey[], unknown][] = [[['storage'], root.storage]];
  if (Array.isArray(replication.connections)) {
    replication.connections.forEach((connection, index) => {
      candidates.push([['replication', 'connections', index], connection]);
    });
  }
  const problems: ConfigProblem[] = [];
  for (const [path, value] of candidates) {
    if (!isPlainObject(value) || value.type !== 'postgresql') continue;
    const fields = connectionFields.safeParse(value);
    if (!fields.success) continue;
    const resolved = resolvePostgresConnection(fields.data);
    if (!Array.isArray(resolved)) continue;
    for (const issue of resolved) {
      problems.push({ path: formatPath([...path, issue.path]), message: issue.message, code: issue.code });
    }
  }
  return problems;
}

export interface ConnectionIssue {
  path: string;
  message: string;
  code: string;
}

interface UriParts {
  hostname?: string;
  port?: number;
  database?: string;
  username?: string;
  password?: string;
  sslmode?: string;
}

/** The parts of a `postgres[ql]://` URI, or the reason it is not one. */
export function parsePostgresUri(uri: string): UriParts | string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'not a valid URI';
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    return `protocol must be postgresql:// or postgres://, not ${url.protocol}//`;
  }
  try {
    const parts: UriParts = {};
    if (url.hostname) parts.hostname = decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1'));
    if (url.port) parts.port = Number(url.port);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (database) parts.database = database;
    if (url.username) parts.username = decodeURIComponent(url.username);
    if (url.password) parts.password = decodeURIComponent(url.password);
    const sslmode = url.searchParams.get('sslmode');
    if (sslmode !== null) parts.sslmode = sslmode;
    return parts;
  } catch {
    return 'malformed percent-encoding';
  }
}

/** Merges `uri` and the separate keys; returns the connection or every issue (paths relative to the connection). */
export function resolvePostgresConnection(
  raw: RawPostgresConnection,
): PostgresConnection | ConnectionIssue[] {
  const issues: ConnectionIssue[] = [];
  if (raw.port !== undefined && (raw.port < 1024 || raw.port > 65535)) {
    const message = `invalid port (PSYNC_S1110): ${raw.port} is not between 1024 and 65535`;
    issues.push({ path: 'port', message, code: 'PSYNC_S1110' });
  }
  const fromUri = raw.uri === undefined ? {} : parsePostgresUri(raw.uri);
  if (typeof fromUri === 'string') {
    return [
      { path: 'uri', message: `invalid URI (PSYNC_S1109): ${fromUri}`, code: 'PSYNC_S1109' },
      ...issues,
    ];
  }
  const hostname = raw.hostname ?? fromUri.hostname;
  const database = raw.database ?? fromUri.database;
  const username = raw.username ?? fromUri.username;
  const required = (key: string, code: string) => {
    const hint = raw.uri !== undefined ? `: neither the URI nor the ${key} key gives one` : '';
    issues.push({
      path: raw.uri !== undefined ? 'uri' : key,
      message: `${key} required (${code})${hint}`,
      code,
    });
  };
  if (!hostname) required('hostname', 'PSYNC_S1106');
  if (!database) required('database', 'PSYNC_S1105');
  if (!username) required('username', 'PSYNC_S1107');
  if (issues.length > 0 || !hostname || !database || !username) return issues;

  const connection = {
    hostname,
    port: raw.port ?? fromUri.port ?? DEFAULT_PORT,
    database,
    username,
    password: raw.password ?? fromUri.password,
    sslmode: raw.sslmode ?? uriSslMode(fromUri.sslmode) ?? 'verify-full',
  };
  return { type: 'postgresql', connectionString: postgresConnectionString(connection), ...connection };
}

function uriSslMode(value: string | undefined): SslMode | undefined {
  return SSL_MODES.find((mode) => mode === value);
}

/** True when the URI carries an `sslmode` the service does not know (it is ignored). */
export function hasUnsupportedUriSslMode(uri: unknown): boolean {
  if (typeof uri !== 'string') return false;
  const parts = parsePostgresUri(uri);
  return typeof parts !== 'string' && parts.sslmode !== undefined && uriSslMode(parts.sslmode) === undefined;
}

/** `postgresql://user:password@host:port/database?sslmode=mode`, every part percent-encoded. */
export function postgresConnectionString(
  connection: Omit<PostgresConnection, 'type' | 'connectionString'>,
): string {
  const { hostname, port, database, username, password, sslmode } = connection;
  const host = hostname.includes(':') ? `[${hostname}]` : encodeURIComponent(hostname);
  const auth =
    encodeURIComponent(username) + (password !== undefined ? `:${encodeURIComponent(password)}` : '');
  return `postgresql://${auth}@${host}:${port}/${encodeURIComponent(database)}?sslmode=${sslmode}`;
}
