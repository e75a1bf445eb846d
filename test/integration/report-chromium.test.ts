import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import type { CliIo } from '../../src/cli/io.js';
import { chartPanels, parseRunResults } from '../../src/report/index.js';

const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available) {
  console.warn(`report.html browser test SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`);
}
const FIXTURE = path.resolve(__dirname, '../fixtures/runs/quickstart/results.json');
const run = promisify(execFile);

/** Headless Chromium on a file, offline (DNS mapped to nothing), console messages on stderr. */
async function openInChromium(file: string, profile: string): Promise<{ dom: string; console: string[] }> {
  const { stdout, stderr } = await run(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${profile}`,
      '--enable-logging=stderr',
      '--v=0',
      '--dump-dom',
      `file://${file}`,
    ],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  // Page console messages (errors, uncaught exceptions, CSP refusals) are logged as `…:CONSOLE…] "…"`.
  const console = stderr.split('\n').filter((line) => /:CONSOLE[:(]|Uncaught|net::ERR_/.test(line));
  return { dom: stdout, console };
}

function memoryIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    env: {},
    cwd: process.cwd(),
    onShutdownSignal: () => new Promise<string>(() => undefined),
  };
  return io;
}

describe.skipIf(!available)('report.html in real headless Chromium', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-report-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('detects page console errors (control page), so a clean report is a real result', async () => {
    const control = path.join(tmp, 'control.html');
    fs.writeFileSync(control, '<!doctype html><script>console.error("control-error"); missingFn();</script>');
    const { console } = await openInChromium(control, fs.mkdtempSync(path.join(tmp, 'profile-')));
    expect(console.join('\n')).toContain('control-error');
    expect(console.join('\n')).toContain('Uncaught');
  });

  it('`syncscale report` writes report.html; Chromium shows every chart with data and logs no errors', async () => {
    const dir = path.join(tmp, 'run');
    fs.mkdirSync(dir);
    fs.copyFileSync(FIXTURE, path.join(dir, 'results.json'));
    const io = memoryIo();
    expect(await main(['node', 'syncscale', 'report', dir], io), io.err).toBe(0);

    const { dom, console } = await openInChromium(
      path.join(dir, 'report.html'),
      fs.mkdtempSync(path.join(tmp, 'profile-')),
    );
    expect(console, console.join('\n')).toEqual([]);
    const panels = chartPanels(parseRunResults(JSON.parse(fs.readFileSync(FIXTURE, 'utf8'))));
    for (const panel of panels.filter((p) => p.spec)) {
      const figure = new RegExp(
        `<figure class="chart" data-chart="${panel.id}" data-state="data">([\\s\\S]*?)</figure>`,
      ).exec(dom);
      expect(figure, panel.id).not.toBeNull();
      expect(figure![1]!.match(/<svg/g), panel.id).toHaveLength(1);
      // Data marks drawn: a mark group whose paths carry the data (vega's aria-label per datum).
      expect(figure![1], panel.id).toMatch(/class="mark-\w+ role-mark[^"]*"[^>]*><path aria-label="/);
    }
    expect(dom).toContain('data-panel="validity"');
  });
});

describe.skipIf(!available)(
  'gzip with a fresh compressor per burst, decoded by a real browser (Chromium)',
  () => {
    it('a page fetches a stream of independently compressed segments and reads every line', async () => {
      const http = await import('node:http');
      const { GzipSegments } = await import('../../src/service/api/http/gzip-segments.js');
      const server = http.createServer((req, res) => {
        if (req.url === '/stream') {
          res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' });
          const members = new GzipSegments(res, () => undefined);
          let n = 0;
          const next = () => {
            members.write(Buffer.from(`{"line":${n}}\n`));
            // Each line in its own event-loop turn: three independently compressed segments.
            if (++n < 3) setTimeout(next, 5);
            else setTimeout(() => (members.end(), res.end()), 5);
          };
          next();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(
          '<!doctype html><body><script>fetch("/stream").then((r) => r.text()).then((t) => { document.body.dataset.result = t.trim().split("\\n").length + ":" + t.replace(/\\n/g, "|"); });</script></body>',
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-gzip-browser-'));
      try {
        const { stdout } = await run(
          CHROMIUM,
          [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            `--user-data-dir=${tmp}`,
            '--virtual-time-budget=10000',
            '--dump-dom',
            `http://127.0.0.1:${port}/`,
          ],
          { timeout: 60_000 },
        );
        expect(stdout).toContain(
          'data-result="3:{&quot;line&quot;:0}|{&quot;line&quot;:1}|{&quot;line&quot;:2}|"',
        );
      } finally {
        server.close();
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }, 90_000);
  },
);
