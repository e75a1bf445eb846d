import { formatNumber } from './format.js';
import { asRecord } from './run-results.js';

/**
 * `recommendations.json` (written by `syncscale size`, src/analysis/) read loosely: reports must not break
 * when its shape grows. Only what is recognisable is used; everything else is ignored.
 */
export interface RecommendationRow {
  name: string;
  number: string;
  unit: string;
  evidence: string;
}

export interface FitOverlay {
  kind: string;
  slope: number;
  intercept: number;
  /** Unit of y as the fit states it (e.g. `MiB`, `bytes`). */
  yUnit: string;
  xMin: number;
  xMax: number;
  band: Array<{ x: number; low: number; high: number }>;
  n?: number;
}

export interface CapacityLimit {
  name: string;
  containers: number;
  binding: boolean;
}

/**
 * Top-level entries (or those under `recommendations`) that have a number, as name/number/unit/evidence;
 * a top-level group without a number of its own (e.g. `api`) contributes its children (`api.containers`).
 */
export function recommendationRows(root: unknown): RecommendationRow[] {
  const record = asRecord(root);
  const source = record && 'recommendations' in record ? record.recommendations : root;
  const rows: RecommendationRow[] = [];
  for (const [key, value] of entriesOf(source)) {
    const row = rowOf(key, value);
    if (row) rows.push(row);
    else if (key !== 'fits') {
      for (const [childKey, child] of entriesOf(asRecord(value))) {
        const childRow = rowOf(`${key}.${childKey}`, child);
        if (childRow) rows.push(childRow);
      }
    }
  }
  return rows;
}

function entriesOf(source: unknown): Array<[string, unknown]> {
  return Array.isArray(source)
    ? source.map((value, i) => [String(i + 1), value])
    : Object.entries(asRecord(source) ?? {});
}

function rowOf(key: string, value: unknown): RecommendationRow | undefined {
  const entry = asRecord(value);
  if (!entry) return undefined;
  const number = 'number' in entry ? entry.number : 'value' in entry ? entry.value : entry.count;
  const isNumber = typeof number === 'number' || typeof number === 'string';
  // A null value with a unit and evidence is a number that could not be given: show it, with why.
  if (!isNumber && !(number === null && typeof entry.unit === 'string' && 'evidence' in entry))
    return undefined;
  const band =
    typeof entry.low === 'number' && typeof entry.high === 'number'
      ? ` (${formatNumber(entry.low)}–${formatNumber(entry.high)})`
      : '';
  return {
    name: String(entry.name ?? entry.title ?? entry.label ?? key),
    number: isNumber ? `${typeof number === 'number' ? formatNumber(number) : number}${band}` : '—',
    unit: typeof entry.unit === 'string' ? entry.unit : '',
    evidence: [evidenceText(entry.evidence), evidenceText(entry.note)].filter(Boolean).join('; '),
  };
}

/** Fits (objects with `kind`, `estimates` slope and intercept, `points`) found anywhere near the top. */
export function findFits(root: unknown): FitOverlay[] {
  const fits: FitOverlay[] = [];
  visit(root, 0, (node) => {
    const fit = fitOverlay(node);
    if (fit) fits.push(fit);
    return fit !== undefined;
  });
  return fits;
}

/** The limits that set the API container count (`limits` with a count each), and which binds. */
export function findCapacityLimits(root: unknown): CapacityLimit[] {
  let found: CapacityLimit[] = [];
  visit(root, 0, (node) => {
    if (found.length > 0 || !('limits' in node)) return false;
    found = limitsOf(node.limits, node.binding ?? node.binds ?? node.bindingLimit);
    return found.length > 0;
  });
  return found;
}

function limitsOf(value: unknown, binding: unknown): CapacityLimit[] {
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((item) => {
        const r = asRecord(item) ?? {};
        return [String(r.name ?? r.limit ?? r.kind ?? '?'), r.containers ?? r.value ?? r.number ?? r.count];
      })
    : Object.entries(asRecord(value) ?? {}).map(([k, v]) => [k, asRecord(v)?.containers ?? v]);
  const limits = entries
    .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
    .map(([name, containers]) => ({ name, containers, binding: false }));
  if (limits.length === 0) return [];
  const named = limits.find((l) => typeof binding === 'string' && l.name === binding);
  const max = Math.max(...limits.map((l) => l.containers));
  for (const limit of limits) limit.binding = named ? limit === named : limit.containers === max;
  return limits;
}

function fitOverlay(node: Record<string, unknown>): FitOverlay | undefined {
  if (typeof node.kind !== 'string' || !Array.isArray(node.estimates) || node.refused) return undefined;
  const [slope, intercept] = node.estimates.map((e) => asRecord(e)?.value);
  if (typeof slope !== 'number' || typeof intercept !== 'number') return undefined;
  const xs = (Array.isArray(node.points) ? node.points : [])
    .map((p) => asRecord(p)?.x)
    .filter((x): x is number => typeof x === 'number');
  if (xs.length === 0) return undefined;
  const bandSource = node.band ?? node.predictionBand ?? node.predictions;
  const band = (Array.isArray(bandSource) ? bandSource : [])
    .map((b) => asRecord(b) ?? {})
    .filter((b) => [b.x, b.low, b.high].every((v) => typeof v === 'number'))
    .map((b) => ({ x: b.x as number, low: b.low as number, high: b.high as number }));
  return {
    kind: node.kind,
    slope,
    intercept,
    yUnit: String(asRecord(node.y)?.unit ?? ''),
    xMin: Math.min(...xs),
    xMax: Math.max(...xs),
    band,
    n: typeof node.n === 'number' ? node.n : undefined,
  };
}

/** Depth-first over objects and arrays, 4 levels deep; `match` returning true stops descent there. */
function visit(value: unknown, depth: number, match: (node: Record<string, unknown>) => boolean): void {
  if (depth > 4) return;
  if (Array.isArray(value)) {
    for (const item of value) visit(item, depth + 1, match);
    return;
  }
  const node = asRecord(value);
  if (!node || match(node)) return;
  for (const child of Object.values(node)) visit(child, depth + 1, match);
}

function evidenceText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(evidenceText).join('; ');
  const record = asRecord(value);
  if (record) {
    return Object.entries(record)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join('; ');
  }
  return String(value);
}

/** Converts a fit's y value to MiB when its unit is a byte unit; other units pass through. */
export function toMiBFromUnit(value: number, unit: string): number {
  const u = unit.trim().toLowerCase();
  if (u === 'bytes' || u === 'byte' || u === 'b') return value / 1048576;
  if (u === 'kib') return value / 1024;
  if (u === 'mb') return (value * 1e6) / 1048576;
  if (u === 'gib') return value * 1024;
  return value;
}

/**
 * The line every sizing output carries: the service the figures were measured on and the clients' stream
 * compression; for the reference service, where to get figures of the real one.
 */
export function measuredOnText(recommendations: unknown): string | undefined {
  const run = (
    recommendations as { run?: { service?: unknown; compression?: unknown; caveat?: unknown } } | undefined
  )?.run;
  if (!run || typeof run.service !== 'string') return undefined;
  const compression =
    typeof run.compression === 'string' ? `; client streams: compression ${run.compression}` : '';
  const caveat = typeof run.caveat === 'string' ? ` ${run.caveat}` : '';
  return `Measured on: ${run.service}${compression}.${caveat}`;
}

/**
 * The API decision of a sizing as two tables: each limit (per container, containers, what it rests on) and
 * each container shape on offer (containers, cost, why it won or lost). Empty tables for older files.
 */
export function apiDecisionTables(root: unknown): {
  limits: { headers: string[]; rows: string[][] };
  shapes: { headers: string[]; rows: string[][] };
  ceiling?: string;
} {
  const api = asRecord(asRecord(root)?.api);
  const limits = Array.isArray(api?.limits) ? api.limits.map((l) => asRecord(l) ?? {}) : [];
  const shapes = Array.isArray(api?.shapes) ? api.shapes.map((s) => asRecord(s) ?? {}) : [];
  const n = (v: unknown) => (typeof v === 'number' ? formatNumber(v) : '—');
  const ceiling = asRecord(api?.ceiling)?.text;
  return {
    limits: {
      headers: ['limit', 'connections per container', 'containers', 'binds', 'rule and evidence'],
      rows: limits.map((l) => [
        String(l.name ?? ''),
        n(l.maxConnectionsPerContainer),
        n(l.containers),
        l.name === api?.binding ? 'yes' : '',
        [l.rule, l.note].filter((x) => typeof x === 'string').join('; '),
      ]),
    },
    shapes: {
      headers: ['shape', 'usable vCPU', 'containers', 'per month', 'chosen', 'why'],
      rows: shapes.map((s) => [
        `${n(s.cpu)} vCPU / ${n(s.memoryMb)} MB`,
        n(s.usableCpu),
        n(s.containers),
        typeof s.costPerMonth === 'number' ? formatNumber(s.costPerMonth) : '—',
        s.chosen === true ? 'yes' : '',
        String(s.why ?? ''),
      ]),
    },
    ...(typeof ceiling === 'string' ? { ceiling } : {}),
  };
}
