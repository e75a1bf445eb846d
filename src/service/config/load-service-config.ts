import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { parseServiceConfig } from './parse-service-config.js';
import { describeIoError, type SyncConfigOverride } from './sync-config.js';
import type { LoadedServiceConfig } from './types.js';

export interface LoadServiceConfigOptions {
  /** `-c/--config-path`; else env `POWERSYNC_CONFIG_PATH`. Relative to `cwd`. */
  configPath?: string;
  /** `-c64/--config-base64`; else env `POWERSYNC_CONFIG_B64`. */
  configBase64?: string;
  /** `-sync64/--sync-base64`; else env `POWERSYNC_SYNC_CONFIG_B64` (legacy `POWERSYNC_SYNC_RULES_B64`). */
  syncBase64?: string;
  /** Default `process.env`; the CLI passes its own. */
  env?: NodeJS.ProcessEnv;
  /** Default `process.cwd()`. */
  cwd?: string;
}

interface ConfigInput {
  text: string;
  source: string;
  baseDir: string;
}

const FALLBACK_FILE = 'powersync.yaml';

/**
 * Loads the service config as the service does (service.md §6.1): a config path (option, then
 * `POWERSYNC_CONFIG_PATH`), else base64 content (option, then `POWERSYNC_CONFIG_B64`), else `./powersync.yaml`.
 * A base64 sync config (option, then `POWERSYNC_SYNC_CONFIG_B64`, then `POWERSYNC_SYNC_RULES_B64`) overrides
 * the file's `sync_config`. Throws {@link ConfigError} with every problem found.
 */
export async function loadServiceConfig(
  options: LoadServiceConfigOptions = {},
): Promise<LoadedServiceConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const input = await readConfigInput(options, env, cwd);
  const { override, warnings } = syncOverride(options, env, input.source);
  const loaded = parseServiceConfig(input.text, {
    env,
    baseDir: input.baseDir,
    sourceName: input.source,
    syncOverride: override,
  });
  return { ...loaded, warnings: [...warnings, ...loaded.warnings] };
}

async function readConfigInput(
  options: LoadServiceConfigOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<ConfigInput> {
  const path = nonEmpty(options.configPath) ?? nonEmpty(env.POWERSYNC_CONFIG_PATH);
  if (path !== undefined) return readConfigFile(resolve(cwd, path));

  const base64 = nonEmpty(options.configBase64) ?? nonEmpty(env.POWERSYNC_CONFIG_B64);
  if (base64 !== undefined) {
    const source =
      nonEmpty(options.configBase64) !== undefined ? 'option:configBase64' : 'env:POWERSYNC_CONFIG_B64';
    return { text: decodeBase64(base64, source), source, baseDir: cwd };
  }

  const fallback = resolve(cwd, FALLBACK_FILE);
  if (existsSync(fallback)) return readConfigFile(fallback);
  const message =
    'no service configuration: set POWERSYNC_CONFIG_PATH or POWERSYNC_CONFIG_B64 (or -c / -c64), ' +
    `or create ${fallback}`;
  throw new ConfigError([{ path: '', message }], 'none');
}

async function readConfigFile(path: string): Promise<ConfigInput> {
  try {
    return { text: await readFile(path, 'utf8'), source: path, baseDir: dirname(path) };
  } catch (error) {
    throw new ConfigError(
      [{ path: '', message: `cannot read config file ${path}: ${describeIoError(error)}` }],
      path,
    );
  }
}

function syncOverride(
  options: LoadServiceConfigOptions,
  env: NodeJS.ProcessEnv,
  configSource: string,
): { override: SyncConfigOverride | undefined; warnings: string[] } {
  const candidates: [string, string | undefined][] = [
    ['option:syncBase64', options.syncBase64],
    ['env:POWERSYNC_SYNC_CONFIG_B64', env.POWERSYNC_SYNC_CONFIG_B64],
    ['env:POWERSYNC_SYNC_RULES_B64', env.POWERSYNC_SYNC_RULES_B64],
  ];
  const found = candidates.find(([, value]) => nonEmpty(value) !== undefined);
  if (!found) return { override: undefined, warnings: [] };
  const [source, value = ''] = found;
  const warnings =
    source === 'env:POWERSYNC_SYNC_RULES_B64'
      ? ['POWERSYNC_SYNC_RULES_B64 is deprecated: use POWERSYNC_SYNC_CONFIG_B64']
      : [];
  return { override: { content: decodeBase64(value, source, configSource), source }, warnings };
}

/** Strict base64 (standard or URL-safe alphabet) → UTF-8 text. */
function decodeBase64(value: string, what: string, configSource = what): string {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    throw new ConfigError([{ path: '', message: `${what} is not valid base64` }], configSource);
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
