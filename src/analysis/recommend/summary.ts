import { formatNumber } from '../fits/linear-fit.js';
import type { Quantity } from './quantity.js';
import type { Recommendations } from './recommend.js';

const show = (q: Quantity, digits = 3): string => {
  if (q.value === null) return `— (${q.note ?? q.evidence.refused ?? 'not determined'})`;
  const translated = q.evidence.translated ? ' (translated)' : '';
  const v = Number(q.value.toPrecision(digits));
  const band =
    q.low !== undefined && q.high !== undefined ? ` [${formatNumber(q.low)}–${formatNumber(q.high)}]` : '';
  return `${q.lowerBound ? '≥ ' : ''}${v} ${q.unit}${band}${translated}`;
};

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

/** A measured API limit: connections per container (safe, central and optimistic) and the containers it needs. */
function limitText(l: {
  maxConnectionsPerContainer: number | null;
  central?: number;
  optimistic?: number;
  openBand?: boolean;
  containers: number | null;
  rule: string;
  note?: string;
}): string {
  if (l.maxConnectionsPerContainer === null) return `— (${l.note ?? 'not determined'})`;
  const central = l.central !== undefined ? `central ${formatNumber(l.central)}, ` : '';
  const safe = formatNumber(l.maxConnectionsPerContainer);
  const band = l.openBand
    ? ` (${central}95 % band from ${safe}, open above: its low edge costs nothing more per connection)`
    : l.central !== undefined && l.optimistic !== undefined
      ? ` (${central}95 % band ${safe}–${formatNumber(l.optimistic)})`
      : '';
  return `${formatNumber(l.maxConnectionsPerContainer)} conn/container${band} → ${l.containers} containers${l.note ? `; ${l.note}` : ''}`;
}

/** A fit's slope with its unit and 95 % interval, converted to KB for memory per connection. */
function slopeText(
  fit:
    | {
        refused?: string;
        estimates: Array<{ name: string; value: number; unit: string; interval?: [number, number] }>;
      }
    | undefined,
): string | undefined {
  const e = fit && !fit.refused ? fit.estimates[0] : undefined;
  if (!e) return undefined;
  const kb = e.unit === 'MB/connection';
  const k = kb ? 1024 : 1;
  const unit = kb ? 'KB/connection' : e.unit;
  const band = e.interval ? ` [${formatNumber(e.interval[0] * k)}–${formatNumber(e.interval[1] * k)}]` : '';
  return `${e.name} ${formatNumber(e.value * k)} ${unit}${band}`;
}

/** The terminal summary of a sizing: one short table. */
export function formatSummary(recs: Recommendations): string {
  const { api, replication: r, compaction: c, storage: s, validation: v, profile: p } = recs;
  const rows: [string, string][] = [];
  if ('infeasible' in api) rows.push(['API containers', `none fits: ${api.infeasible}`]);
  else {
    rows.push([
      'API containers',
      `${api.containers.value} × ${api.shape.cpu} vCPU / ${api.shape.memoryMb} MB; binds: ${api.binding} (+${api.haAdded} HA)`,
    ]);
    const fitOf = {
      memory: recs.fits.apiMemory,
      cpu: recs.fits.apiCpuPerConnection,
      latency: recs.fits.apiLatency,
    };
    for (const l of api.limits.filter((x) => x.name !== 'connection-cap')) {
      const fit = fitOf[l.name as keyof typeof fitOf] as (typeof fitOf)['memory'] | undefined;
      const slope = fit && l.name !== 'latency' ? slopeText(fit) : undefined;
      const translated = fit?.notes.some((n) => n.startsWith('translated by calibration'))
        ? ' (translated by calibration)'
        : '';
      rows.push([`  ${l.name} limit`, `${limitText(l)}${slope ? `; fitted ${slope}` : ''}${translated}`]);
    }
    if (api.ceiling) rows.push(['Process ceiling', api.ceiling.text]);
    for (const o of api.shapes ?? [])
      rows.push([
        o.chosen ? 'Shape (chosen)' : 'Shape',
        `${o.cpu} vCPU / ${o.memoryMb} MB: ${o.containers ?? '—'} containers${o.costPerMonth !== undefined ? `, ${formatNumber(o.costPerMonth)} per month (${formatNumber(o.costPerHour!)} per hour)` : ''} — ${o.why}`,
      ]);
    rows.push([
      'Connection cap',
      api.recommendedCap === null
        ? `no limit measured: the configured ${api.capCheck.cap} binds (not a measurement)`
        : `set max_concurrent_connections: ${api.recommendedCap} (measured)${api.capCheck.warning ? `; warning: ${api.capCheck.warning}` : ''}`,
    ]);
    rows.push([
      'API heap',
      api.heap.sufficient === null
        ? `NODE_OPTIONS=${api.heap.nodeOptions}: heap ${api.heap.flag}`
        : `NODE_OPTIONS=${api.heap.nodeOptions}: ${api.heap.sufficient ? 'ok' : `FLAG ${api.heap.flag}`} (predicted ${show(api.heap.predictedHeapMb)} at ${api.connectionsPerContainerOneDown} conn/container with one down)`,
    ]);
  }
  rows.push([
    'Replication',
    `${show(r.cpuCores)} (fit over ${recs.fits.replicationCpu.levels} write levels), ${show(r.memoryMb)} at ${formatNumber(r.designTxPerSecond)} tx/s; max sustained ${show(r.maxSustainedTxPerSecond)} (headroom ${show(r.headroom)})`,
  ]);
  rows.push([
    'Compaction',
    `${show(c.durationSeconds)} for ${formatNumber(c.opsExamined.value ?? 0)} ops${recs.fits.compactionDuration.notes.some((n) => n.includes('reported only its duration')) ? ' (measured from a compaction that reported only its duration: ops examined estimated)' : ''}; window ${c.windowSeconds} s: ${c.fitsWindow === null ? 'unknown' : c.fitsWindow ? 'fits' : 'DOES NOT FIT'}; peak memory ${c.peakMemoryMb.value === null ? 'not measured' : show(c.peakMemoryMb)}`,
  ]);
  rows.push([
    'Storage (Postgres)',
    `${show(s.sizeMb)}, growth ${show(s.growthMbPerDay)}, working set ${show(s.workingSetMb)}, RAM ${show(s.postgres.memoryMb)}`,
  ]);
  rows.push([
    'Storage (MongoDB)',
    `${s.mongodb.nodes} nodes × ${show(s.mongodb.memoryMbPerNode)} RAM, ${show(s.mongodb.diskMbPerNode)} disk, oplog ${show(s.mongodb.oplogMb)} (${s.mongodb.label})`,
  ]);
  if (recs.cost)
    rows.push(['Cost', `${formatNumber(recs.cost.totalPerMonth)} per month (${recs.cost.note})`]);
  rows.push(['Validation', v.message]);
  const chosenCpu = recs.cpuModel?.candidates.find((c) => c.form === recs.cpuModel?.chosen);
  rows.push([
    '',
    chosenCpu && chosenCpu.errors.length
      ? `CPU (${chosenCpu.form} model) at ${chosenCpu.errors.map((e) => `${formatNumber(e.connections)} connections, ${formatNumber(e.rate)} tx/s: predicted ${formatNumber(e.predicted)} cores, measured ${formatNumber(e.measured)}, error ${formatNumber(e.errorPercent)} %`).join('; ')} (fitted without that level)`
      : recs.cpuValidation.message,
  ]);
  if (recs.cpuModel)
    rows.push([
      'CPU model',
      `${recs.cpuModel.chosen ?? 'none'} at ${formatNumber(recs.cpuModel.atRate)} tx/s: ${recs.cpuModel.reason}${recs.cpuModel.extrapolatesInRate ? `; ${recs.cpuModel.extrapolatesInRate}` : ''}`,
    ]);
  for (const e of recs.run.excludedPhases ?? [])
    rows.push(['Left out', `phase ${e.phase} (invalid): ${e.reasons.join('; ')}`]);
  for (const u of recs.run.unsustainedWriteLevels ?? [])
    rows.push(['Not sustained', `phase ${u.phase}: ${u.finding}`]);
  const measured = `Measured on: ${recs.run.service}; client streams: compression ${recs.run.compression}`;
  const reference = recs.run.caveat ? `\n  ${recs.run.caveat}` : '';
  return `Sizing for profile "${p.name}" (${p.peakConnections} peak connections, design ${p.designConnections}; ${p.peakTxPerSecond} tx/s) from run ${recs.run.runId}\n${measured}${reference}\n${table(rows)}\n`;
}
