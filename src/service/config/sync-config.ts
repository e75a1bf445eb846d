import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigProblem } from './config-error.js';
import type { SyncConfigSource } from './types.js';
import { isPlainObject } from './yaml-env.js';

/**
 * Where the sync config comes from, in the service's order: base64 content given on the command line or in
 * `POWERSYNC_SYNC_CONFIG_B64` (overrides the file); `sync_config.content`; `sync_config.path`, relative to
 * the config file's directory. `sync_rules` is the legacy name of `sync_config`; both at once is an error.
 */
export interface SyncConfigOverride {
  content: string;
  /** Named in messages, e.g. `POWERSYNC_SYNC_CONFIG_B64`. */
  source: string;
}

export interface SyncConfigResolution {
  value: SyncConfigSource | undefined;
  problems: ConfigProblem[];
  warnings: string[];
}

export function resolveSyncConfig(
  tree: unknown,
  options: { baseDir: string; override?: SyncConfigOverride | undefined },
): SyncConfigResolution {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const root = isPlainObject(tree) ? tree : {};
  if (root.sync_config !== undefined && root.sync_rules !== undefined) {
    problems.push({
      path: 'sync_rules',
      message: 'sync_rules is the legacy name of sync_config: set only one of them',
    });
  }
  const key = root.sync_config !== undefined ? 'sync_config' : 'sync_rules';
  const section = isPlainObject(root[key]) ? root[key] : {};
  const exitOnError = typeof section.exit_on_error === 'boolean' ? section.exit_on_error : true;
  const { path, content } = section;

  if (options.override) {
    if (path !== undefined || content !== undefined) {
      warnings.push(`${key}: overridden by the sync config from ${options.override.source}`);
    }
    return { value: { content: options.override.content, exitOnError }, problems, warnings };
  }
  if (typeof content === 'string') {
    if (path !== undefined) warnings.push(`${key}.path: ignored because ${key}.content is set`);
    return { value: { content, exitOnError }, problems, warnings };
  }
  if (typeof path === 'string' && path !== '') {
    const absolute = resolve(options.baseDir, path);
    try {
      return {
        value: { content: readFileSync(absolute, 'utf8'), path: absolute, exitOnError },
        problems,
        warnings,
      };
    } catch (error) {
      problems.push({
        path: `${key}.path`,
        message: `cannot read sync config ${absolute}: ${describeIoError(error)}`,
      });
      return { value: undefined, problems, warnings };
    }
  }
  warnings.push(
    'sync_config: none configured; the reference service cannot deploy sync config through an API, so nothing will sync',
  );
  return { value: undefined, problems, warnings };
}

export function describeIoError(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code === 'ENOENT' ? 'no such file' : `${error.code} (${error.message})`;
  }
  return error instanceof Error ? error.message : String(error);
}
