import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseScenario, type ParseScenarioOptions } from './parse-scenario.js';
import { ScenarioError } from './scenario-error.js';
import type { Scenario } from './types.js';

/** Reads and parses a scenario file; relative paths in it are relative to the file. */
export async function loadScenario(
  path: string,
  options: Omit<ParseScenarioOptions, 'baseDir' | 'sourcePath'> = {},
): Promise<Scenario> {
  const sourcePath = resolve(path);
  let text: string;
  try {
    text = await readFile(sourcePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = `cannot read scenario file${code === 'ENOENT' ? ': no such file' : `: ${String(error)}`}`;
    throw new ScenarioError([{ path: '', message }], sourcePath);
  }
  return parseScenario(text, { ...options, baseDir: dirname(sourcePath), sourcePath });
}
