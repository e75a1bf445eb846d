import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import type { CliIo } from '../../src/cli/io.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/runs/quickstart/results.json');

function memoryIo(cwd: string): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    env: {},
    cwd,
    onShutdownSignal: () => new Promise<string>(() => undefined),
  };
  return io;
}

describe('syncscale report <run-dir>', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-report-cmd-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('regenerates report.md and report.html from results.json alone (exit 0) and prints the summary', async () => {
    const dir = path.join(tmp, 'run');
    fs.mkdirSync(dir);
    fs.copyFileSync(FIXTURE, path.join(dir, 'results.json'));
    const io = memoryIo(tmp);
    expect(await main(['node', 'syncscale', 'report', 'run'], io), io.err).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('# syncscale report: quickstart');
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('<svg');
    expect(io.out).toContain('Run 20261128-035239-quickstart (quickstart): completed, valid');
    expect(io.out).toContain(path.join(dir, 'report.html'));
  });

  it('uses recommendations.json when present and warns (without failing) when it is unreadable', async () => {
    const dir = path.join(tmp, 'with-recs');
    fs.mkdirSync(dir);
    fs.copyFileSync(FIXTURE, path.join(dir, 'results.json'));
    fs.writeFileSync(
      path.join(dir, 'recommendations.json'),
      JSON.stringify({ heap: { number: 820, unit: 'MB', evidence: 'api-heap fit' } }),
    );
    let io = memoryIo(tmp);
    expect(await main(['node', 'syncscale', 'report', dir], io)).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain(
      '| heap | 820 | MB | api-heap fit |',
    );
    fs.writeFileSync(path.join(dir, 'recommendations.json'), '{ not json');
    io = memoryIo(tmp);
    expect(await main(['node', 'syncscale', 'report', dir], io)).toBe(0);
    expect(io.err).toContain('recommendations.json ignored');
  });

  it('exits 2 when the directory has no results.json, and when results.json is not a run', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    let io = memoryIo(tmp);
    expect(await main(['node', 'syncscale', 'report', empty], io)).toBe(2);
    expect(io.err).toContain('no results.json');
    expect(fs.existsSync(path.join(empty, 'report.md'))).toBe(false);
    fs.writeFileSync(path.join(empty, 'results.json'), '{"hello": 1}');
    io = memoryIo(tmp);
    expect(await main(['node', 'syncscale', 'report', empty], io)).toBe(2);
    expect(io.err).toContain('not a syncscale results file');
  });
});
