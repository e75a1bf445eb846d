import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  aggregatesToCsv,
  MetricRegistry,
  SamplesWriter,
  toCsv,
  type Sample,
} from '../../src/metrics/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncscale-samples-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const samples: Sample[] = [
  { metric: 'e2e_latency', value: 12.5, time: 1_700_000_000_000, tags: { transport: 'ws', client: 'c1' } },
  { metric: 'errors', value: 1, time: 1_700_000_000_500, tags: { code: 'http_429' } },
  { metric: 'open_streams', value: 40, time: 1_700_000_001_000 },
];

describe('SamplesWriter', () => {
  it('appends samples to samples.ndjson as the run goes, before close', async () => {
    const writer = await SamplesWriter.open(join(dir, 'run-1'), { flushIntervalMs: 20 });
    writer.add(samples[0] as Sample);
    const ndjson = join(dir, 'run-1', 'samples.ndjson');
    await until(async () => (await lines(ndjson)).length === 1);
    writer.add(samples[1] as Sample);
    writer.add(samples[2] as Sample);
    await until(async () => (await lines(ndjson)).length === 3);
    expect((await lines(ndjson)).map((line) => JSON.parse(line))).toEqual([
      samples[0],
      samples[1],
      { ...samples[2], tags: {} },
    ]);
    // The CSV is the end-of-run conversion: not there while running.
    expect(await exists(join(dir, 'run-1', 'samples.csv'))).toBe(false);
    await writer.close();
  });

  it('buffers between flushes and writes on flush()', async () => {
    const writer = await SamplesWriter.open(dir, { flushIntervalMs: 60_000 });
    writer.add(samples[0] as Sample);
    expect(await lines(writer.ndjsonPath)).toEqual([]);
    await writer.flush();
    expect(await lines(writer.ndjsonPath)).toHaveLength(1);
    await writer.close();
  });

  it('flushes early when the buffer is large', async () => {
    const writer = await SamplesWriter.open(dir, { flushIntervalMs: 60_000, maxBufferBytes: 200 });
    for (let i = 0; i < 10; i++) writer.add({ metric: 'ops_received', value: i, time: i });
    await until(async () => (await lines(writer.ndjsonPath)).length >= 2);
    await writer.close();
  });

  it('writes samples.csv on close (time, metric, value, tags as k=v;k=v)', async () => {
    const writer = await SamplesWriter.open(dir, { flushIntervalMs: 60_000 });
    for (const sample of samples) writer.add(sample);
    writer.add({ metric: 'note', value: 1, time: 1, tags: { text: 'a, "quoted" value' } });
    const summary = await writer.close();
    expect(summary).toEqual({
      ndjsonPath: join(dir, 'samples.ndjson'),
      csvPath: join(dir, 'samples.csv'),
      samples: 4,
      skippedLines: 0,
    });
    expect(await readFile(summary.csvPath, 'utf8')).toBe(
      [
        'time,metric,value,tags',
        '1700000000000,e2e_latency,12.5,client=c1;transport=ws',
        '1700000000500,errors,1,code=http_429',
        '1700000001000,open_streams,40,',
        '1,note,1,"text=a, ""quoted"" value"',
        '',
      ].join('\n'),
    );
    expect(await lines(summary.ndjsonPath)).toHaveLength(4);
  });

  it('writes a header-only CSV for a run without samples', async () => {
    const writer = await SamplesWriter.open(dir);
    const summary = await writer.close();
    expect(await readFile(summary.csvPath, 'utf8')).toBe('time,metric,value,tags\n');
  });

  it('counts samples that come after close instead of writing them', async () => {
    const writer = await SamplesWriter.open(dir);
    await writer.close();
    writer.add(samples[0] as Sample);
    expect(writer.samplesNotWritten).toBe(1);
    await expect(writer.close()).rejects.toThrow(/already closed/);
  });

  it('starts a fresh samples.ndjson', async () => {
    await writeFile(join(dir, 'samples.ndjson'), 'left over\n');
    const writer = await SamplesWriter.open(dir);
    writer.add(samples[1] as Sample);
    const summary = await writer.close();
    expect(summary).toMatchObject({ samples: 1, skippedLines: 0 });
  });
});

describe('CSV tables', () => {
  it('toCsv writes rows with a header in the given column order', () => {
    expect(toCsv([{ b: 2, a: 'x,y' }], ['a', 'b'])).toBe('a,b\n"x,y",2\n');
    expect(toCsv([{ a: 1 }, { a: 2 }])).toBe('a\n1\n2\n');
  });

  it('aggregatesToCsv writes one row per series per window, without histograms', () => {
    const registry = new MetricRegistry({ now: () => 1000, firstWindow: 'steady' });
    registry.add({ metric: 'connect_time', value: 4, time: 0, tags: { transport: 'ws' } });
    registry.add({ metric: 'reconnects', value: 2, time: 0 });
    const csv = aggregatesToCsv(registry.snapshot(3000).windows);
    const [header, trend, counter] = csv.trim().split('\n');
    expect(header).toBe(
      'window,start,end,metric,tags,kind,n,synthetic,min,max,mean,stdev,p50,p90,p95,p99,p999,count,rate,last',
    );
    expect(trend).toMatch(
      /^steady,1000,3000,connect_time,transport=ws,trend,1,0,4,4,4(\.\d+)?,0,4,4,4,4,4,,,$/,
    );
    expect(counter).toBe('steady,1000,3000,reconnects,,counter,,,,,,,,,,,,2,1,');
  });
});
