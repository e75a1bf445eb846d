import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { memoryIo as memoryIoIn } from '../support/memory-io.js';

const ROOT = path.resolve(__dirname, '../..');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const memoryIo = () => memoryIoIn(ROOT);

/** Every `syncscale …` command line in the fenced `sh` blocks of README and docs, with where it is. */
function documentedCommands(): Array<{ where: string; words: string[] }> {
  const out: Array<{ where: string; words: string[] }> = [];
  for (const file of DOCS) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    // Shell blocks and plain blocks (the usage synopses): every line that runs syncscale.
    for (const block of text.matchAll(/```(?:sh)?\n([\s\S]*?)```/g)) {
      for (const raw of block[1]!.split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        const at = line.search(/(?:^|&& |\$ )(?:npx )?syncscale [a-z]/);
        if (at < 0) continue;
        const words = line
          .slice(at)
          .replace(/^(?:&& |\$ )/, '')
          .replace(/^npx /, '')
          .replace(/[[\]]/g, ' ')
          .split(/\s+/)
          .filter(Boolean)
          .slice(1);
        out.push({ where: `${file}: ${line}`, words });
      }
    }
  }
  return out;
}

/**
 * The docs cannot drift from the CLI: every command line in a `sh` block names a real command, every
 * option it uses is one that command accepts (its --help lists it), and scenario runs are dry-run for real.
 */
describe('every documented command line', () => {
  const commands = documentedCommands();

  it('finds the quick start and the four jobs', () => {
    const names = new Set(commands.map((c) => c.words.slice(0, c.words[0] === 'export' ? 2 : 1).join(' ')));
    for (const name of ['run', 'size', 'verify', 'gate', 'drill', 'calibrate'])
      expect(names, name).toContain(name);
  });

  it.each(commands.map((c) => [c.where, c] as const))('%s', async (_where, { words }) => {
    const sub = words[0] === 'export' || words[0] === 'service' || words[0] === 'baseline' ? 2 : 1;
    const io = memoryIo();
    await main(['node', 'syncscale', ...words.slice(0, sub), '--help'], io);
    expect(io.err, `syncscale ${words.slice(0, sub).join(' ')} --help`).toBe('');
    for (const option of words.filter((w) => /^--[a-z]/.test(w)).map((w) => w.split(/[=|]/)[0]!))
      if (option !== '--help')
        expect(io.out, `${option} of syncscale ${words.slice(0, sub).join(' ')}`).toContain(option);
    if (words[0] === 'run' && words[1]?.endsWith('.yaml') && fs.existsSync(path.join(ROOT, words[1]))) {
      const dry = memoryIo();
      expect(await main(['node', 'syncscale', 'run', words[1], '--dry-run'], dry), dry.err).toBe(0);
      expect(dry.out).toContain('Checks: ok');
    }
  });
});
