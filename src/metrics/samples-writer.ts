import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Sample, SampleSink } from './sample.js';
import { formatTags } from './tags.js';

export interface SamplesWriterOptions {
  /** How often buffered samples are appended to samples.ndjson. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Flush early when this many bytes are buffered. Default 1 MiB. */
  maxBufferBytes?: number;
}

export interface SamplesWriterSummary {
  ndjsonPath: string;
  csvPath: string;
  /** Samples written to both files. */
  samples: number;
  /** samples.ndjson lines that did not parse as samples (left out of the CSV). */
  skippedLines: number;
}

export const SAMPLES_NDJSON = 'samples.ndjson';
export const SAMPLES_CSV = 'samples.csv';
export const SAMPLES_CSV_COLUMNS = ['time', 'metric', 'value', 'tags'] as const;

/**
 * Writes the run's time series as it goes: samples are buffered and appended to `samples.ndjson` every
 * second (and when the buffer is large), so a crash keeps all but the last second; `close()` flushes and
 * converts the file to `samples.csv` (time, metric, value, tags as `k=v;k=v`) by streaming, never holding the
 * samples in memory.
 */
export class SamplesWriter implements SampleSink {
  readonly ndjsonPath: string;
  readonly csvPath: string;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private unwritten = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBufferBytes: number;

  private constructor(
    dir: string,
    private readonly handle: FileHandle,
    options: SamplesWriterOptions,
  ) {
    this.ndjsonPath = join(dir, SAMPLES_NDJSON);
    this.csvPath = join(dir, SAMPLES_CSV);
    this.maxBufferBytes = options.maxBufferBytes ?? 1024 * 1024;
    this.timer = setInterval(() => void this.flush().catch(() => {}), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Creates `dir` if needed and starts a fresh `samples.ndjson` in it. */
  static async open(dir: string, options: SamplesWriterOptions = {}): Promise<SamplesWriter> {
    await mkdir(dir, { recursive: true });
    const handle = await open(join(dir, SAMPLES_NDJSON), 'w');
    return new SamplesWriter(dir, handle, options);
  }

  add(sample: Sample): void {
    if (this.closed || this.failure) {
      this.unwritten += 1;
      return;
    }
    const line = `${JSON.stringify({ time: sample.time, metric: sample.metric, value: sample.value, tags: sample.tags ?? {} })}\n`;
    this.buffer.push(line);
    this.bufferBytes += line.length;
    if (this.bufferBytes >= this.maxBufferBytes) void this.flush().catch(() => {});
  }

  /** Samples dropped because they came after `close()` or after a write failed. */
  get samplesNotWritten(): number {
    return this.unwritten;
  }

  /** Appends what is buffered; rejects if any write so far failed. */
  flush(): Promise<void> {
    if (this.buffer.length > 0 && !this.failure) {
      const text = this.buffer.join('');
      this.buffer = [];
      this.bufferBytes = 0;
      this.writing = this.writing.then(() => this.append(text));
    }
    return this.writing.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Flushes, closes samples.ndjson and writes samples.csv from it. */
  async close(): Promise<SamplesWriterSummary> {
    if (this.closed) throw new Error('SamplesWriter is already closed');
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
    const { samples, skippedLines } = await writeCsv(this.ndjsonPath, this.csvPath);
    return { ndjsonPath: this.ndjsonPath, csvPath: this.csvPath, samples, skippedLines };
  }

  private async append(text: string): Promise<void> {
    if (this.failure) return;
    try {
      await this.handle.appendFile(text, 'utf8');
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
  }
}

async function writeCsv(
  ndjsonPath: string,
  csvPath: string,
): Promise<{ samples: number; skippedLines: number }> {
  const counts = { samples: 0, skippedLines: 0 };
  async function* rows() {
    const lines = createInterface({ input: createReadStream(ndjsonPath, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const sample = parseSampleLine(line);
      if (!sample) {
        counts.skippedLines += 1;
        continue;
      }
      counts.samples += 1;
      yield [sample.time, sample.metric, sample.value, formatTags(sample.tags)];
    }
  }
  await pipeline(
    Readable.from(rows()),
    stringify({ header: true, columns: [...SAMPLES_CSV_COLUMNS] }),
    createWriteStream(csvPath),
  );
  return counts;
}

function parseSampleLine(line: string): Sample | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const sample = value as Partial<Sample>;
    if (typeof sample.metric !== 'string' || typeof sample.time !== 'number') return undefined;
    return sample as Sample;
  } catch {
    return undefined;
  }
}
