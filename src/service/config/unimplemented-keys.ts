import { hasUnsupportedUriSslMode } from './postgres-connection.js';
import { formatPath } from './config-error.js';
import { isPlainObject } from './yaml-env.js';

/**
 * Keys the PowerSync service accepts that the reference service does not implement. They are accepted so a
 * real deployment's config loads unchanged, and each one present produces a warning naming it.
 */
interface UnimplementedKey {
  /** Dotted pattern; `[]` stands for every array element. */
  pattern: string;
  /** Why it is ignored; a generic sentence when absent. */
  reason?: string;
  /** Only warn when the value matches. */
  when?: (value: unknown) => boolean;
}

const IGNORED = 'accepted but not implemented by the reference service; ignored';

const connectionKeys = (prefix: string): UnimplementedKey[] => [
  ...[
    'cacert',
    'client_certificate',
    'client_private_key',
    'tls_servername',
    'reject_ip_ranges',
    'connect_timeout',
  ].map((key) => ({ pattern: `${prefix}.${key}` })),
  {
    pattern: `${prefix}.sslmode`,
    when: (value) => value === 'verify-ca',
    reason:
      'verify-ca is not implemented by the reference service; the certificate is verified as with verify-full',
  },
  {
    pattern: `${prefix}.uri`,
    when: hasUnsupportedUriSslMode,
    reason:
      'the sslmode in the URI is not one of verify-full, verify-ca, disable and is ignored (set the sslmode key)',
  },
];

const UNIMPLEMENTED: UnimplementedKey[] = [
  ...connectionKeys('replication.connections[]'),
  { pattern: 'replication.connections[].snapshot_socket_timeout' },
  {
    pattern: 'replication.connections[].debug_api',
    reason: 'the debug query API is not implemented; ignored',
  },
  ...connectionKeys('storage'),
  {
    pattern: 'storage.object_storage',
    reason: 'object storage (storage version 3) is not implemented; ignored',
  },
  {
    pattern: 'storage.default_storage_version',
    when: (value) => value !== 2,
    reason: 'only storage version 2 is implemented by the reference service; using 2',
  },
  {
    pattern: 'client_auth.jwks_uri',
    reason: 'remote JWKS are not implemented; only client_auth.jwks.keys are used',
  },
  { pattern: 'client_auth.supabase', reason: 'Supabase auth is not implemented; ignored' },
  { pattern: 'client_auth.supabase_jwt_secret', reason: 'Supabase auth is not implemented; ignored' },
  { pattern: 'client_auth.block_local_jwks' },
  { pattern: 'client_auth.jwks_reject_ip_ranges' },
  { pattern: 'api.tokens', reason: 'admin API routes are not implemented; tokens are not used' },
  { pattern: 'telemetry.internal_service_endpoint' },
  { pattern: 'dev' },
  { pattern: 'connection_report' },
];

/** A warning for every unimplemented key present in the (env-substituted) config tree. */
export function unimplementedKeyWarnings(tree: unknown): string[] {
  const warnings: string[] = [];
  for (const key of UNIMPLEMENTED) {
    for (const match of matchPattern(tree, key.pattern)) {
      if (match.value === undefined || (key.when && !key.when(match.value))) continue;
      warnings.push(`${formatPath(match.path)}: ${key.reason ?? IGNORED}`);
    }
  }
  return warnings;
}

function matchPattern(tree: unknown, pattern: string): { path: PropertyKey[]; value: unknown }[] {
  let matches: { path: PropertyKey[]; value: unknown }[] = [{ path: [], value: tree }];
  for (const segment of pattern.split('.')) {
    const each = segment.endsWith('[]');
    const key = each ? segment.slice(0, -2) : segment;
    matches = matches.flatMap(({ path, value }) => {
      if (!isPlainObject(value) || !(key in value)) return [];
      const child = value[key];
      if (!each) return [{ path: [...path, key], value: child }];
      return Array.isArray(child)
        ? child.map((item, index) => ({ path: [...path, key, index], value: item }))
        : [];
    });
  }
  return matches;
}
