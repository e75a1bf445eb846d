import type { VerifyLoad } from './verify-plan.js';

/** One check of a verification: measured against what the recommendation promised. */
export interface VerifyCheck {
  name: string;
  measured: number | null;
  limit: number;
  unit: string;
  passed: boolean | null;
  note: string;
}

export interface VerifyVerdict {
  kind: 'syncscale-verify';
  outcome: 'pass' | 'fail' | 'not-judged';
  load: VerifyLoad;
  /** The sized run and the verification run. */
  from: string;
  runDir: string;
  checks: VerifyCheck[];
  reasons: string[];
}

interface PhaseLike {
  name: string;
  thresholds: Array<{ key: string; expression: string; passed: boolean; observed?: number | null }>;
  aggregates?: {
    series: Array<{
      metric: string;
      tags: Record<string, string>;
      aggregate: Record<string, number | string>;
    }>;
  };
  validity?: { valid: boolean; reasons: string[] };
  start: number;
  end: number;
  settle?: { measuredFrom: number };
}

/**
 * PASS when every objective held at the recommended load, the API process's RSS stayed within the
 * container's memory, and its CPU within target utilisation of the container's cores; FAIL otherwise;
 * not judged when the verification run itself was invalid (its generator, not the service, was measured).
 */
export function verifyVerdict(
  load: VerifyLoad,
  results: { validity: { valid: boolean; reasons: string[] }; phases: PhaseLike[] },
  from: string,
  runDir: string,
): VerifyVerdict {
  const checks: VerifyCheck[] = [];
  const steady = results.phases.find((p) => p.name === 'steady');
  const connect = results.phases.find((p) => p.name === 'connect');
  for (const o of load.objectives) {
    const phase = o.metric === 'first_checkpoint' ? connect : steady;
    const t = phase?.thresholds.find((x) => x.key === o.metric);
    const measured = typeof t?.observed === 'number' ? t.observed : null;
    checks.push({
      name: `${o.name} (${phase?.name ?? 'steady'})`,
      measured,
      limit: o.ms,
      unit: 'ms',
      passed: measured === null ? null : measured <= o.ms,
      note: measured === null ? 'not measured: no samples in the phase' : `objective ${o.ms} ms`,
    });
  }
  const gauge = (metric: string) =>
    steady?.aggregates?.series.find((s) => s.metric === metric && s.tags.process?.startsWith('api-'))
      ?.aggregate;
  const rss = gauge('process_rss_bytes') ?? gauge('process_resident_memory_bytes');
  const rssMb = rss && typeof rss.max === 'number' ? rss.max / 1024 / 1024 : null;
  checks.push({
    name: 'API RSS (max)',
    measured: rssMb,
    limit: load.shape.memoryMb,
    unit: 'MB',
    passed: rssMb === null ? null : rssMb <= load.shape.memoryMb,
    note:
      rssMb === null
        ? 'not measured: no RSS of the API process (no pid, no metric)'
        : `container memory ${load.shape.memoryMb} MB (target ${Math.round(load.targetUtilisation * load.shape.memoryMb)} MB)`,
  });
  const cpu = gauge('process_cpu_seconds') ?? gauge('process_cpu_seconds_total');
  // CPU is a gauge: it covers the steady phase after its settle window.
  const seconds = steady ? (steady.end - (steady.settle?.measuredFrom ?? steady.start)) / 1000 : 0;
  const cores =
    cpu && typeof cpu.max === 'number' && typeof cpu.min === 'number' && seconds > 0
      ? (cpu.max - cpu.min) / seconds
      : null;
  const cpuLimit = load.targetUtilisation * load.shape.cpu;
  checks.push({
    name: 'API CPU (mean over the steady window)',
    measured: cores,
    limit: cpuLimit,
    unit: 'cores',
    passed: cores === null ? null : cores <= cpuLimit,
    note:
      cores === null
        ? 'not measured: no CPU of the API process'
        : `${load.targetUtilisation} × ${load.shape.cpu} vCPU`,
  });
  const reasons: string[] = [];
  if (!results.validity.valid)
    reasons.push(`the verification run is invalid: ${results.validity.reasons.join('; ')}`);
  if (steady?.validity && !steady.validity.valid)
    reasons.push(`the steady window is invalid: ${steady.validity.reasons.join('; ')}`);
  const failed = checks.filter((c) => c.passed === false);
  const outcome = reasons.length > 0 ? 'not-judged' : failed.length > 0 ? 'fail' : 'pass';
  return { kind: 'syncscale-verify', outcome, load, from, runDir, checks, reasons };
}

export function formatVerdict(v: VerifyVerdict): string {
  const head =
    v.outcome === 'pass' ? 'VERIFY PASS' : v.outcome === 'fail' ? 'VERIFY FAIL' : 'VERIFY NOT JUDGED';
  const lines = [
    `${head}: ${v.load.connections} connections at ${Math.round(v.load.txPerSecond * 10) / 10} tx/s on one ${v.load.shape.cpu} vCPU / ${v.load.shape.memoryMb} MB container (heap ${v.load.heapMb} MB)`,
    ...v.checks.map(
      (c) =>
        `  ${c.passed === null ? 'n/a ' : c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.measured === null ? '—' : fmt(c.measured)} ${c.unit} vs ≤ ${fmt(c.limit)} ${c.unit} (${c.note})`,
    ),
    ...v.reasons.map((r) => `  ${r}`),
  ];
  return lines.join('\n') + '\n';
}

export function verdictMarkdown(v: VerifyVerdict): string {
  return [
    '## Verify: the recommendation, run',
    '',
    `**${v.outcome.toUpperCase()}** — ${v.load.connections} connections at ${Math.round(v.load.txPerSecond * 10) / 10} tx/s on one ${v.load.shape.cpu} vCPU / ${v.load.shape.memoryMb} MB container, heap ${v.load.heapMb} MB (sized from ${v.from}).`,
    '',
    '| check | measured | limit | outcome |',
    '| --- | --- | --- | --- |',
    ...v.checks.map(
      (c) =>
        `| ${c.name} | ${c.measured === null ? '—' : `${fmt(c.measured)} ${c.unit}`} | ≤ ${fmt(c.limit)} ${c.unit} | ${c.passed === null ? 'not measured' : c.passed ? 'ok' : 'FAIL'} |`,
    ),
    ...(v.reasons.length ? ['', ...v.reasons.map((r) => `- ${r}`)] : []),
    '',
  ].join('\n');
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));
