/**
 * Summarises a V8 `.cpuprofile` (from `--cpu-prof`, e.g. the benches' service child with
 * SYNCSCALE_BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"): the functions with the most
 * self time, and the most inclusive time (self + callees), as shares of the sampled time.
 * With `--under <text>`, only samples with a frame whose label contains the text count (what that frame calls).
 * Usage: npm run bench:profile -- <file.cpuprofile> [--top 25] [--under 'query client.js']
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, under: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: npm run bench:profile -- <file.cpuprofile> [--top 25]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(positionals[0]!, 'utf8')) as Profile;
const top = Number(values.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const selfTime = new Map<number, number>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  selfTime.set(profile.samples[i]!, (selfTime.get(profile.samples[i]!) ?? 0) + dt);
  total += dt;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url ? path.basename(url.replace(/^file:\/\//, '')) : '';
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
function stackHas(id: number, text: string): boolean {
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
    if (label(byId.get(at)!).includes(text)) return true;
  return false;
}

for (const [id, time] of selfTime) {
  if (values.under && !stackHas(id, values.under)) continue;
  const name = label(byId.get(id)!);
  self.set(name, (self.get(name) ?? 0) + time);
  // Each distinct function on the stack gets the sample once (recursion counted once).
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = label(byId.get(at)!);
    if (seen.has(frame)) continue;
    seen.add(frame);
    inclusive.set(frame, (inclusive.get(frame) ?? 0) + time);
  }
}

function print(title: string, map: Map<string, number>): void {
  console.log(`\n${title}`);
  const rows = [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, time] of rows)
    console.log(
      `  ${((100 * time) / total).toFixed(1).padStart(5)} %  ${(time / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
}

console.log(`${path.basename(positionals[0]!)}: ${(total / 1e6).toFixed(1)} s sampled`);
print('self time', self);
print('inclusive time', inclusive);
