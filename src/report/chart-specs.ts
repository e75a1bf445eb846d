import type { TopLevelSpec } from 'vega-lite';
import {
  apiPoints,
  compactionPoints,
  lagPoints,
  latencyPoints,
  resourcePoints,
  writeCpuPoints,
} from './chart-data.js';
import { findCapacityLimits, findFits, toMiBFromUnit, type FitOverlay } from './recommendations.js';
import type { RunResults } from './run-results.js';

/** One chart panel of `report.html`: a vega-lite spec when the run has the data, else why not. */
export interface ChartPanel {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec | null;
  empty: string;
}

type Row = object;
interface Field {
  field: string;
  title: string;
  log?: boolean;
}

const WIDTH = 420;
const HEIGHT = 240;
const NO_DATA = 'no data: the run did not record this';

/** Every chart of the HTML report, in display order. */
export function chartPanels(results: RunResults, recommendations?: unknown): ChartPanel[] {
  const points = resourcePoints(results);
  const fits = recommendations === undefined ? [] : findFits(recommendations);
  const fit = (kind: string, toMiB = false) => {
    const found = fits.find((f) => f.kind === kind);
    return found && toMiB ? inMiB(found) : found;
  };
  const connections: Field = { field: 'connections', title: 'connections (clients)' };
  const writeRate: Field = { field: 'writeRate', title: 'write rate (tx/s achieved)' };
  return [
    panel(
      'memory',
      'API memory (RSS) against connections',
      'Peak RSS per API process in each phase.',
      scatter(
        apiPoints(points, 'rssMiB'),
        connections,
        { field: 'rssMiB', title: 'RSS (MiB)' },
        'process',
        fit('api-memory', true),
      ),
    ),
    panel(
      'heap',
      'API heap used against connections',
      'Peak V8 heap used per API process in each phase.',
      scatter(
        apiPoints(points, 'heapMiB'),
        connections,
        { field: 'heapMiB', title: 'heap used (MiB)' },
        'process',
        fit('api-heap', true),
      ),
    ),
    panel(
      'cpu-connections',
      'API CPU against connections',
      'Mean cores per API process over each phase.',
      scatter(
        apiPoints(points, 'cpuCores'),
        connections,
        { field: 'cpuCores', title: 'CPU (cores)' },
        'process',
        fit('api-cpu-per-connection'),
      ),
    ),
    panel(
      'cpu-writes',
      'CPU against write rate',
      'Mean cores per service process in the phases that wrote.',
      scatter(writeCpuPoints(points), writeRate, { field: 'cpuCores', title: 'CPU (cores)' }, 'process'),
    ),
    panel(
      'latency',
      'Latency percentiles per phase',
      'p50 (solid) and p99 (dashed), log scale, from HDR histograms.',
      latencySpec(results),
    ),
    panel(
      'replication-lag',
      'Replication lag against write rate',
      'Highest replication lag the replicator reported in each write phase.',
      scatter(lagPoints(results), writeRate, { field: 'lagMs', title: 'replication lag, max (ms)' }, 'phase'),
    ),
    panel(
      'compaction',
      'Compaction duration against ops examined',
      'Each compaction the run triggered.',
      scatter(
        compactionPoints(results),
        { field: 'opsExamined', title: 'ops examined' },
        { field: 'durationMs', title: 'duration (ms)' },
        'phase',
        fit('compaction-duration'),
      ),
    ),
    capacityPanel(recommendations),
  ];
}

function panel(id: string, title: string, caption: string, spec: TopLevelSpec | null): ChartPanel {
  return { id, title, caption, spec, empty: NO_DATA };
}

function capacityPanel(recommendations: unknown): ChartPanel {
  const limits = recommendations === undefined ? [] : findCapacityLimits(recommendations);
  const spec: TopLevelSpec | null =
    limits.length === 0
      ? null
      : {
          ...base(),
          data: { values: limits.map((l) => ({ ...l, binds: l.binding ? 'binds' : 'does not bind' })) },
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'name', type: 'nominal', title: 'limit', sort: '-x' },
            x: { field: 'containers', type: 'quantitative', title: 'API containers needed' },
            color: { field: 'binds', type: 'nominal', title: null, scale: { range: ['#d62728', '#9e9e9e'] } },
          },
        };
  return {
    id: 'capacity',
    title: 'Capacity: which limit binds',
    caption: 'API containers each limit requires; the largest binds.',
    spec,
    empty:
      recommendations === undefined
        ? 'No recommendations yet: run `syncscale size` to add recommendations.'
        : 'recommendations.json names no limits.',
  };
}

function scatter(values: Row[], x: Field, y: Field, color: string, fit?: FitOverlay): TopLevelSpec | null {
  if (values.length === 0) return null;
  const layers: unknown[] = [];
  if (fit && fit.band.length > 1) {
    layers.push({
      data: { values: fit.band },
      mark: { type: 'area', opacity: 0.2, color: '#1f77b4' },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'low', type: 'quantitative' },
        y2: { field: 'high' },
      },
    });
  }
  if (fit) {
    const line = [fit.xMin, fit.xMax].map((px) => ({ x: px, y: fit.intercept + fit.slope * px }));
    layers.push({
      data: { values: line },
      mark: { type: 'line', color: '#1f77b4', strokeDash: [6, 3] },
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    });
  }
  layers.push({
    data: { values },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: x.field, type: 'quantitative', title: x.title },
      y: { field: y.field, type: 'quantitative', title: y.title, scale: { zero: false } },
      color: { field: color, type: 'nominal' },
      shape: 'load' in (values[0] ?? {}) ? { field: 'load', type: 'nominal' } : undefined,
    },
  });
  return { ...base(), layer: layers } as TopLevelSpec;
}

function latencySpec(results: RunResults): TopLevelSpec | null {
  const values = latencyPoints(results);
  if (values.length === 0) return null;
  return {
    ...base(),
    width: WIDTH + 120,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'phase',
        type: 'ordinal',
        sort: results.phases.map((p) => p.name),
        title: 'phase',
        axis: { labelAngle: -30 },
      },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log)' },
      color: { field: 'metric', type: 'nominal' },
      strokeDash: {
        field: 'percentile',
        type: 'nominal',
        scale: {
          domain: ['p50', 'p99'],
          range: [
            [1, 0],
            [5, 3],
          ],
        },
      },
      detail: { field: 'percentile' },
    },
  } as TopLevelSpec;
}

function base() {
  return {
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    config: { font: 'sans-serif', axis: { labelFontSize: 11, titleFontSize: 12 } },
  };
}

function inMiB(fit: FitOverlay): FitOverlay {
  const c = (v: number) => toMiBFromUnit(v, fit.yUnit);
  return {
    ...fit,
    slope: c(fit.slope),
    intercept: c(fit.intercept),
    band: fit.band.map((b) => ({ x: b.x, low: c(b.low), high: c(b.high) })),
  };
}
