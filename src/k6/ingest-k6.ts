import fs from 'node:fs';
import readline from 'node:readline';
import { ServiceError } from '../errors/index.js';
import { MetricRegistry, SamplesWriter, type Sample } from '../metrics/index.js';
import { clientPlan, RunDirectory, scenarioRecord, type Scenario } from '../scenario/index.js';
import { scenarioHash } from './export-k6.js';
import { SESSION_METRICS } from './runtime/rsocket-session.js';

/** The metrics the exported script records (the fleet's names); k6's own (vus, data_received…) are skipped. */
const INGESTED = new Set<string>(Object.values(SESSION_METRICS));
/** The only tag kept: error codes. k6's system tags (scenario, group, url, …) would split every series. */
const KEPT_TAGS = ['code'];

interface K6Point {
  metric: string;
  time: number;
  value: number;
  tags: Record<string, string>;
}

export interface IngestOutcome {
  runDir: string;
  files: number;
  samples: number;
  /** Samples per file (pod). */
  perFile: number[];
}

/**
 * Reads one k6 JSON output (`k6 run --out json=…`, one JSON object per line) and calls `onPoint` for each
 * `Point` of a syncscale metric. Throws SSCALE_K0002 naming the file and line of a line that is not k6
 * JSON output, and SSCALE_K0003 when a point carries another scenario's hash.
 */
async function readK6Output(
  file: string,
  expectedHash: string,
  onPoint: (point: K6Point) => void,
): Promise<number> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, 'utf8');
  } catch (error) {
    throw new ServiceError('SSCALE_K0002', `${file}: cannot read it: ${(error as Error).message}`);
  }
  let lineNumber = 0;
  let points = 0;
  let k6Lines = 0;
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let entry: {
      type?: unknown;
      metric?: unknown;
      data?: { time?: unknown; value?: unknown; tags?: unknown };
    };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      throw new ServiceError(
        'SSCALE_K0002',
        `${file}:${lineNumber}: not JSON — expected k6's JSON output (k6 run --out json=<file>), one object per line`,
      );
    }
    if (entry?.type !== 'Point' && entry?.type !== 'Metric') {
      throw new ServiceError(
        'SSCALE_K0002',
        `${file}:${lineNumber}: a JSON line without "type": "Point" or "Metric" is not k6 JSON output`,
      );
    }
    k6Lines++;
    if (entry.type !== 'Point' || typeof entry.metric !== 'string' || !INGESTED.has(entry.metric)) continue;
    const data = entry.data ?? {};
    const tags = (data.tags ?? {}) as Record<string, string>;
    if (tags.syncscale_hash !== expectedHash) {
      throw new ServiceError(
        'SSCALE_K0003',
        `${file}:${lineNumber}: samples of scenario ${tags.syncscale_scenario ?? '(untagged)'} (hash ${tags.syncscale_hash ?? 'none'}), not of the scenario given (hash ${expectedHash}): export and ingest the same scenario`,
      );
    }
    const time = Date.parse(String(data.time));
    const value = Number(data.value);
    if (!Number.isFinite(time) || !Number.isFinite(value)) {
      throw new ServiceError('SSCALE_K0002', `${file}:${lineNumber}: a Point without a time or value`);
    }
    const kept: Record<string, string> = {};
    for (const key of KEPT_TAGS) if (tags[key] !== undefined) kept[key] = tags[key];
    onPoint({ metric: entry.metric, time, value, tags: kept });
    points++;
  }
  if (k6Lines === 0) throw new ServiceError('SSCALE_K0002', `${file}: empty — no k6 JSON output in it`);
  return points;
}

/**
 * `syncscale ingest`: the k6 JSON outputs of a distributed run (one per pod) merged into one syncscale run
 * directory. Every sample of every pod goes into the same histograms, so a percentile of the run is the
 * percentile of all pods' samples together (HDR resolution), never an average of per-pod percentiles.
 * Samples are windowed into the scenario's phases by their time from the test's first sample.
 */
export async function ingestK6(
  files: readonly string[],
  scenario: Scenario,
  options: { reportsDir: string },
): Promise<IngestOutcome> {
  if (files.length === 0) throw new ServiceError('SSCALE_K0002', 'no k6 output files given');
  const hash = scenarioHash(scenario);
  // Pass 1: the test's start (the earliest sample of any pod) and the format check of every file.
  let start = Infinity;
  const perFile: number[] = [];
  for (const file of files) {
    perFile.push(await readK6Output(file, hash, (p) => (start = Math.min(start, p.time))));
  }
  const total = perFile.reduce((a, b) => a + b, 0);
  if (total === 0)
    throw new ServiceError(
      'SSCALE_K0002',
      `${files.join(', ')}: no syncscale samples (was the script exported by syncscale export k6?)`,
    );

  // Pass 2: every sample into its phase's registry and the run's; boundaries from the scenario.
  const bounds: Array<{ name: string; startMs: number; endMs: number }> = [];
  let at = start;
  for (const phase of scenario.phases) {
    bounds.push({ name: phase.name, startMs: at, endMs: at + phase.durationMs });
    at += phase.durationMs;
  }
  const end = at;
  const perPhase = bounds.map((b) => new MetricRegistry({ now: () => b.startMs, firstWindow: b.name }));
  const whole = new MetricRegistry({ now: () => start, firstWindow: 'run' });
  const dir = RunDirectory.create(options.reportsDir, scenario.name);
  const samples = await SamplesWriter.open(dir.path);
  let outside = 0;
  for (const file of files) {
    await readK6Output(file, hash, (p) => {
      const sample: Sample = { metric: p.metric, value: p.value, time: p.time, tags: p.tags };
      // Samples during the last stage's ramp-down belong to the last phase.
      const index = bounds.findIndex((b) => p.time < b.endMs);
      const phase = index === -1 ? perPhase.length - 1 : index;
      if (index === -1) outside++;
      perPhase[phase]!.add(sample);
      whole.add(sample);
      samples.add(sample);
    });
  }
  await samples.close();
  let phaseAt = start;
  const phases = scenario.phases.map((phase, i) => {
    const plan = clientPlan(phase.clients, 0, phase.durationMs);
    const bound = bounds[i]!;
    const record = {
      name: phase.name,
      start: phaseAt,
      end: bound.endMs,
      targetClients: { start: plan.start, end: plan.end },
      writes: null,
      actions: [],
      thresholds: [],
      aggregates: perPhase[i]!.snapshot(bound.endMs).windows[0]!,
    };
    phaseAt = bound.endMs;
    return record;
  });
  dir.writeJson('results.json', {
    runId: dir.id,
    scenario: scenarioRecord(scenario),
    loadGenerator: { kind: 'k6', files: files.length, samplesPerFile: perFile, scenarioHash: hash },
    startedAt: new Date(start).toISOString(),
    finishedAt: new Date(end).toISOString(),
    status: 'completed',
    // k6 pods report no saturation of their own: say so rather than call the run valid by silence.
    validity: { valid: true, reasons: [] },
    probesUnavailable: [
      'load generator saturation: not measured on k6 pods (watch their CPU; k6 warns when it falls behind)',
      'service processes: not probed by ingest (run syncscale run against the target for CPU and memory)',
    ],
    phases,
    cumulative: whole.snapshot(end).cumulative,
  });
  dir.line(
    `ingested ${total} samples from ${files.length} k6 outputs (${perFile.join(', ')}); ${outside} after the last phase counted in it`,
  );
  await dir.close();
  return { runDir: dir.path, files: files.length, samples: total, perFile };
}
