/**
 * The fleet's HTTP stream decodes a body compressed as PowerSync compresses it — one gzip stream with a 32 KiB
 * window, each line sync-flushed, so back-references reach into earlier lines — from a real socket on
 * 127.0.0.1, and reports a corrupt or cut body as an error code, not as lines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetErrorCode } from '../../src/fleet/index.js';
import type { SyncLine } from '../../src/fleet/index.js';
import { openStream } from '../../src/fleet/transport/open-stream.js';

/** ~120 KB of sync lines: the window wraps several times and lines repeat each other's keys. */
const LINES: SyncLine[] = [
  { checkpoint: { last_op_id: '400', write_checkpoint: undefined, buckets: [] } },
  ...Array.from({ length: 400 }, (_, i) => ({
    data: {
      bucket: 'global[]',
      after: String(i),
      has_more: false,
      next_after: String(i + 1),
      data: [
        {
          op_id: String(i + 1),
          op: 'PUT' as const,
          object_type: 'lists',
          object_id: `l${i}`,
          data: JSON.stringify({ id: `l${i}`, name: `List ${i} `.repeat(1 + (i % 40)) }),
          checksum: (i * 2654435761) >>> 0,
        },
      ],
    },
  })),
  { checkpoint_complete: { last_op_id: '400' } },
] as SyncLine[];

type Fault = 'none' | 'corrupt' | 'cut';

/** Serves `/sync/stream` as a gzip stream; the User-Agent names the fault to inject. */
function serve(request: http.IncomingMessage, response: http.ServerResponse): void {
  request.resume();
  const fault = (request.headers['user-agent'] ?? 'none') as Fault;
  response.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' });
  const gzip = zlib.createGzip(); // 15 window bits, as a PowerSync server compresses
  let chunks = 0;
  gzip.on('data', (chunk: Buffer) => {
    // The 100th flushed line's bytes get a flipped bit pattern.
    if (fault === 'corrupt' && ++chunks === 100) {
      const bad = Buffer.from(chunk);
      bad[Math.floor(bad.length / 2)]! ^= 0x55;
      response.write(bad);
    } else response.write(chunk);
  });
  gzip.on('end', () => response.end());
  void (async () => {
    for (const line of LINES) {
      gzip.write(JSON.stringify(line) + '\n');
      await new Promise<void>((resolve) => gzip.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    }
    if (fault === 'cut') {
      // The body stops mid-member: the trailer and the last chunk never come; the socket closes after
      // what was written.
      response.socket?.end();
      return;
    }
    gzip.end();
  })();
}

describe('fleet HTTP stream with a PowerSync-shaped gzip body', () => {
  let server: http.Server;
  let endpoint: URL;

  beforeAll(async () => {
    server = http.createServer(serve);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function stream(fault: Fault): Promise<{ lines: SyncLine[]; bytes: number; failure: [string, string] }> {
    return new Promise((resolve) => {
      const lines: SyncLine[] = [];
      let bytes = 0;
      openStream(
        'http-ndjson',
        {
          endpoint,
          token: 't',
          body: { buckets: [], include_checksum: true, raw_data: true, client_id: 'c' } as never,
          agent: undefined,
          userAgent: fault,
          connectTimeoutMs: 5000,
          compression: 'sdk',
        },
        {
          onOpen: () => undefined,
          onBytes: (count) => (bytes += count),
          onLine: (line) => lines.push(line),
          onFailure: (code, detail) => resolve({ lines, bytes, failure: [code, detail] }),
        },
      );
    });
  }

  it('decodes every line, in order, and ends as the server ended it', async () => {
    const result = await stream('none');
    expect(result.lines).toEqual(JSON.parse(JSON.stringify(LINES)));
    expect(result.failure[0]).toBe(FleetErrorCode.streamEnded);
    const plainBytes = LINES.reduce((sum, line) => sum + JSON.stringify(line).length + 1, 0);
    expect(result.bytes).toBeGreaterThan(0);
    expect(result.bytes).toBeLessThan(plainBytes / 4); // the wire bytes are counted, not the decoded ones
  });

  it('reports a corrupt body as a protocol error after the lines before it', async () => {
    const result = await stream('corrupt');
    // A flipped bit is an invalid code, a broken line, or (inside a string) a failed CRC-32 at the trailer.
    expect(result.failure[0]).toBe(FleetErrorCode.protocol);
    expect(result.lines.length).toBeGreaterThan(10);
    expect(result.lines.length).toBeLessThanOrEqual(LINES.length);
    expect(result.lines).not.toEqual(JSON.parse(JSON.stringify(LINES)));
  });

  it('reports a body cut mid-member as a cut stream', async () => {
    const result = await stream('cut');
    expect(result.failure[0]).toBe(FleetErrorCode.network);
    expect(result.lines.length).toBe(LINES.length); // every flushed line arrived before the cut
  });
});
