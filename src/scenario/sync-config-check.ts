import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SyncConfig, SyncConfigError, formatProblem } from '../service/rules/index.js';
import { DEFAULT_SYNC_CONFIG } from './dataset-schema.js';
import type { PathProblem } from './zod-problems.js';

const SHOWN = 3;

/**
 * The sync config a scenario names (`dataset.sync_config`, relative to `baseDir`) must be readable and valid;
 * checked on the raw tree, so it is reported even when other parts of the file are invalid.
 */
export function syncConfigCheck(tree: unknown, baseDir: string): PathProblem[] {
  const dataset = isRecord(tree) ? tree.dataset : undefined;
  const path = isRecord(dataset) ? dataset.sync_config : undefined;
  if (path !== undefined && (typeof path !== 'string' || path === '')) return []; // the schema reports it
  const message = syncConfigProblem(resolve(baseDir, path ?? DEFAULT_SYNC_CONFIG));
  return message ? [{ path: ['dataset', 'sync_config'], message }] : [];
}

function syncConfigProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `cannot read sync config ${path}${code === 'ENOENT' ? ': no such file' : `: ${String(error)}`}`;
  }
  try {
    SyncConfig.parse(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof SyncConfigError)) throw error;
    const shown = error.problems.slice(0, SHOWN).map(formatProblem).join('; ');
    const more = error.problems.length > SHOWN ? `; and ${error.problems.length - SHOWN} more` : '';
    return `sync config ${path} is invalid: ${shown}${more}`;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
