import { formatNumber } from './linear-fit.js';
import type { Quantity } from './quantity.js';
import type { Recommendations } from './recommend.js';

const show = (q: Quantity, digits = 3): string => {
  if (q.value === null) return `— (${q.note ?? q.evidence.refused ?? 'not determined'})`;
  const v = Number(q.value.toPrecision(digits));
  const band =
    q.low !== undefined && q.high !== undefined ? ` [${formatNumber(q.low)}–${formatNumber(q.high)}]` : '';
  return `${q.lowerBound ? '≥ ' : ''}${v} ${q.unit}${band}`;
};

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

/** The terminal summary of a sizing: one short table. */
export function formatSummary(recs: Recommendations): string {
  const { api, replication: r, compaction: c, storage: s, validation: v, profile: p } = recs;
  const rows: [string, string][] = [];
  if ('infeasible' in api) rows.push(['API containers', `none fits: ${api.infeasible}`]);
  else {
    const limits = api.limits.map((l) => `${l.name} ${l.containers ?? '—'}`).join(', ');
    rows.push([
      'API containers',
      `${api.containers.value} × ${api.shape.cpu} vCPU / ${api.shape.memoryMb} MB; binds: ${api.binding} (${limits}; +${api.haAdded} HA)`,
    ]);
    rows.push([
      'API heap',
      `NODE_OPTIONS=${api.heap.nodeOptions}: ${api.heap.sufficient ? 'ok' : `FLAG ${api.heap.flag}`} (predicted ${show(api.heap.predictedHeapMb)} at ${api.connectionsPerContainerOneDown} conn/container with one down)`,
    ]);
  }
  rows.push([
    'Replication',
    `${show(r.cpuCores)}, ${show(r.memoryMb)} at ${formatNumber(r.designTxPerSecond)} tx/s; max sustained ${show(r.maxSustainedTxPerSecond)} (headroom ${show(r.headroom)})`,
  ]);
  rows.push([
    'Compaction',
    `${show(c.durationSeconds)} for ${formatNumber(c.opsExamined.value ?? 0)} ops; window ${c.windowSeconds} s: ${c.fitsWindow === null ? 'unknown' : c.fitsWindow ? 'fits' : 'DOES NOT FIT'}; peak memory ${c.peakMemoryMb.value === null ? 'not measured' : show(c.peakMemoryMb)}`,
  ]);
  rows.push([
    'Storage (Postgres)',
    `${show(s.sizeMb)}, growth ${show(s.growthMbPerDay)}, working set ${show(s.workingSetMb)}, RAM ${show(s.postgres.memoryMb)}`,
  ]);
  rows.push([
    'Storage (MongoDB)',
    `${s.mongodb.nodes} nodes × ${show(s.mongodb.memoryMbPerNode)} RAM, ${show(s.mongodb.diskMbPerNode)} disk (${s.mongodb.label})`,
  ]);
  rows.push(['Validation', v.message]);
  return `Sizing for profile "${p.name}" (${p.peakConnections} peak connections, design ${p.designConnections}; ${p.peakTxPerSecond} tx/s) from run ${recs.run.runId}\n${table(rows)}\n`;
}
