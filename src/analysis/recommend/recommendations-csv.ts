import { stringify } from 'csv-stringify/sync';
import type { Quantity } from './quantity.js';
import type { Recommendations } from './recommend.js';

export const CSV_COLUMNS = [
  'item',
  'value',
  'unit',
  'low',
  'high',
  'lower_bound',
  'source',
  'fit',
  'n',
  'interval_low',
  'interval_high',
  'modelled',
  'note',
  'assumptions',
] as const;

/** Every Quantity in the recommendations, with a dotted name (`api.containers`, `storage.mongodb.…`). */
export function quantities(recs: Recommendations): [string, Quantity][] {
  const out: [string, Quantity][] = [];
  const walk = (value: unknown, name: string) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    if (isQuantity(value)) {
      out.push([name, value]);
      return;
    }
    for (const [key, child] of Object.entries(value)) walk(child, name ? `${name}.${key}` : key);
  };
  const { fits: _fits, ...rest } = recs;
  walk(rest, '');
  return out;
}

function isQuantity(value: object): value is Quantity {
  return 'value' in value && 'unit' in value && 'evidence' in value;
}

const cell = (v: number | undefined | null) => (v === undefined || v === null || Number.isNaN(v) ? '' : v);

/** One row per number, with its evidence and assumptions (csv-stringify). */
export function recommendationsCsv(recs: Recommendations): string {
  const rows = quantities(recs).map(([name, q]) => [
    name,
    cell(q.value),
    q.unit,
    cell(q.low),
    cell(q.high),
    q.lowerBound ? 'true' : '',
    q.evidence.source,
    q.evidence.fit ?? '',
    cell(q.evidence.n),
    cell(q.evidence.interval?.[0]),
    cell(q.evidence.interval?.[1]),
    q.evidence.modelled ? 'true' : '',
    [q.note, q.evidence.refused ? `fit refused: ${q.evidence.refused}` : undefined, q.evidence.translated]
      .filter(Boolean)
      .join('; '),
    q.assumptions.join('; '),
  ]);
  const empty = () => CSV_COLUMNS.map(() => '' as string | number);
  const row = (
    item: string,
    value: number | string,
    unit: string,
    fields: Partial<Record<(typeof CSV_COLUMNS)[number], string | number>>,
  ) => {
    const r = empty();
    r[0] = item;
    r[1] = value;
    r[2] = unit;
    for (const [key, v] of Object.entries(fields))
      r[CSV_COLUMNS.indexOf(key as (typeof CSV_COLUMNS)[number])] = v ?? '';
    return r;
  };
  const extra: Array<Array<string | number>> = [
    row('measured_on', recs.run.service, '', { note: `client streams: compression ${recs.run.compression}` }),
  ];
  if (!('infeasible' in recs.api)) {
    for (const limit of recs.api.limits.filter(
      (l) => l.name !== 'connection-cap' && l.maxConnectionsPerContainer !== null,
    ))
      extra.push(
        row(
          `api.limit.${limit.name}`,
          limit.central ?? limit.maxConnectionsPerContainer!,
          'connections/container',
          {
            low: limit.maxConnectionsPerContainer!,
            high: cell(limit.optimistic),
            source: 'fit',
            note: limit.rule,
          },
        ),
      );
    extra.push(
      row('api.recommended_max_concurrent_connections', recs.api.recommendedCap ?? '', 'connections', {
        source: recs.api.recommendedCap === null ? '' : 'measured',
        note: recs.api.capCheck.warning ?? (recs.api.recommendedCap === null ? 'no limit measured' : ''),
      }),
    );
  }
  return stringify([[...CSV_COLUMNS], ...rows, ...extra]);
}
