import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';

/**
 * Hostile and malformed files given to the CLI (issue 15): every one gets a named error with its file and
 * line, exit code 2 and nothing started — never a stack trace, a hang or an out-of-memory crash.
 * Answers are listed in docs/errors.md.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-hostile-files-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const full = path.join(dir, name);
  fs.writeFileSync(full, text);
  return full;
}

/** Nine levels of nine aliases: 387 million strings if expanded. */
function aliasBomb(lastKey: string): string {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const name = String.fromCharCode(97 + i);
    const previous = String.fromCharCode(96 + i);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
  }
  return `${levels.join('\n')}\n${lastKey}: *i\n`;
}

const DEEP = `a: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;

const TINY_HEAD = `name: hostile
target: { embedded: { replicators: 1, api: { containers: 1 } } }
phases:
  - name: p1
    duration: 10s
`;

async function cli(args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const child = new CliProcess(args);
  const { code } = await child.exited;
  return { code, output: child.output, ms: Date.now() - started };
}

describe('hostile files get a named error with path and line, exit 2, and nothing started', () => {
  const scenarioCases: Array<[string, string, RegExp]> = [
    ['an alias bomb', aliasBomb('phases'), /line 2: YAML aliases expand to more than 1000 nodes/],
    ['nesting 50,000 deep', DEEP, /line 1: YAML syntax error: YAML nested too deeply/],
    ['a syntax error', `${TINY_HEAD}   clients: { constant: 3\n`, /line \d+: YAML syntax error/],
    [
      '1e400 clients (Infinity)',
      `${TINY_HEAD}    clients: { constant: 1e400 }\n`,
      /line 6: phases\[0\]\.clients\.constant: expected number, got Infinity/,
    ],
    [
      '2^70 clients',
      `${TINY_HEAD}    clients: { constant: 1180591620717411303424 }\n`,
      /line 6: phases\[0\]\.clients\.constant: must be at most/,
    ],
    ['a 5 MiB file', `# ${'x'.repeat(5 * 1024 * 1024)}\n`, /larger than 4 MiB: refused/],
    [
      'a duration of 1e400s',
      TINY_HEAD.replace('10s', '1e400s') + '    clients: { constant: 1 }\n',
      /line 5: phases\[0\]\.duration: expected a duration/,
    ],
  ];
  for (const [name, text, expected] of scenarioCases) {
    it(`scenario with ${name}`, async () => {
      const scenario = file(`scenario-${name.replace(/\W+/g, '-')}.yaml`, text);
      const reports = path.join(dir, 'reports');
      const { code, output } = await cli(['run', scenario, '--reports-dir', reports]);
      expect(code).toBe(2);
      expect(output).toContain(`Invalid scenario (${scenario})`);
      expect(output).toMatch(expected);
      expect(output).not.toMatch(/\n\s+at .+:\d+:\d+\)/); // no stack trace
      expect(fs.existsSync(reports)).toBe(false);
    });
  }

  it('service config: an alias bomb, deep nesting and a huge number are PSYNC_S3201 with the file', async () => {
    const bomb = file('service-bomb.yaml', aliasBomb('storage'));
    const first = await cli(['service', 'start', '-c', bomb]);
    expect(first.code).toBe(2);
    expect(first.output).toContain(`[PSYNC_S3201] Invalid service configuration (${bomb})`);
    expect(first.output).toMatch(/alias bomb\?\): refused \(line 2/);

    const deep = file('service-deep.yaml', DEEP);
    const second = await cli(['service', 'start', '-c', deep]);
    expect(second.code).toBe(2);
    expect(second.output).toMatch(/nested too deeply: refused \(line 1, column \d+\)/);

    const huge = file(
      'service-huge.yaml',
      'port: 1e400\nstorage: { type: postgresql, uri: "postgres://127.0.0.1:1/x" }\n',
    );
    const third = await cli(['service', 'start', '-c', huge]);
    expect(third.code).toBe(2);
    expect(third.output).toMatch(/port/);
  });

  it('sync config: an alias bomb is a located sync-config problem, not a crash', async () => {
    const rules = file('sync-config-bomb.yaml', aliasBomb('bucket_definitions'));
    const scenario = file(
      'scenario-with-bomb-rules.yaml',
      `${TINY_HEAD}    clients: { constant: 1 }\ndataset: { sync_config: ${JSON.stringify(rules)} }\n`,
    );
    const { code, output } = await cli(['run', scenario, '--dry-run']);
    expect(code).toBe(2);
    expect(output).toContain('sync_config');
    expect(output).toMatch(/line \d+/);
  });

  it('capacity profile: an alias bomb is a ProfileError naming the file and line', async () => {
    const profile = file('profile-bomb.yaml', aliasBomb('connections'));
    const run = path.resolve(__dirname, '../fixtures/calibration/ref-a');
    const { code, output } = await cli(['size', '--from', run, '--profile', profile]);
    expect(code).toBe(2);
    expect(output).toContain(profile);
    expect(output).toMatch(/line 2: YAML aliases expand/);
  });

  it('drill file: an alias bomb is reported with its line before anything starts', async () => {
    const drill = file('drill-bomb.yaml', aliasBomb('steps'));
    const { code, output } = await cli(['drill', drill]);
    expect(code).toBe(2);
    expect(output).toContain(drill);
    expect(output).toMatch(/line 2: YAML aliases expand/);
  });
});
