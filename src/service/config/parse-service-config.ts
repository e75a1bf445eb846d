import { ConfigError, type ConfigProblem } from './config-error.js';
import { postgresConnectionProblems } from './postgres-connection.js';
import { serviceConfigSchema } from './schema.js';
import { resolveSyncConfig, type SyncConfigOverride } from './sync-config.js';
import { toServiceConfig } from './to-service-config.js';
import type { LoadedServiceConfig } from './types.js';
import { unimplementedKeyWarnings } from './unimplemented-keys.js';
import { isPlainObject, parseConfigText, substituteEnv } from './yaml-env.js';
import { issueMessage, zodProblems } from './zod-problems.js';

export interface ParseServiceConfigOptions {
  /** Environment for `!env` substitution (default `process.env`). POWERSYNC_* variables are not read here. */
  env?: NodeJS.ProcessEnv;
  /** Directory `sync_config.path` is relative to (default: the current directory). */
  baseDir?: string;
  /** Where the text came from, for messages (default `inline`). */
  sourceName?: string;
  /** Sync config content that overrides the file's `sync_config` (already decoded). */
  syncOverride?: SyncConfigOverride;
}

/**
 * Parses, substitutes, validates and resolves a service config text. Every problem (YAML aside, which stops
 * at the syntax error) is collected and thrown together as one {@link ConfigError}.
 */
export function parseServiceConfig(
  text: string,
  options: ParseServiceConfigOptions = {},
): LoadedServiceConfig {
  const source = options.sourceName ?? 'inline';
  const parsed = parseConfigText(text);
  if (parsed.problems.length > 0) throw new ConfigError(parsed.problems, source);

  const { value: tree, problems, failedPaths } = substituteEnv(parsed.value, options.env ?? process.env);
  problems.push(...structuralProblems(tree), ...postgresConnectionProblems(tree));
  const result = serviceConfigSchema.safeParse(tree, { error: issueMessage });
  if (!result.success) problems.push(...zodProblems(result.error.issues, failedPaths));
  const sync = resolveSyncConfig(tree, {
    baseDir: options.baseDir ?? process.cwd(),
    override: options.syncOverride,
  });
  problems.push(...sync.problems);
  if (problems.length > 0 || !result.success) throw new ConfigError(sortProblems(problems), source);

  const warnings = [...parsed.warnings, ...unimplementedKeyWarnings(tree), ...sync.warnings];
  return { config: toServiceConfig(result.data, sync.value), warnings, source };
}

/** Rules zod would only check after the elements are valid: checked up front so they are always reported. */
function structuralProblems(tree: unknown): ConfigProblem[] {
  const replication = isPlainObject(tree) ? tree.replication : undefined;
  const connections = isPlainObject(replication) ? replication.connections : undefined;
  if (Array.isArray(connections) && connections.length > 1) {
    const message = `at most one connection is supported (${connections.length} given)`;
    return [{ path: 'replication.connections', message }];
  }
  return [];
}

/** Sorted by path, so the problems of one section are listed together. */
function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
