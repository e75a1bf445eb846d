import { EventEmitter } from 'node:events';
import type http from 'node:http';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GzipSegments } from '../../src/service/api/http/gzip-segments.js';

/** A response stand-in that records what is written. */
function fakeResponse() {
  const res = new EventEmitter() as EventEmitter & {
    chunks: Buffer[];
    destroyed: boolean;
    writableNeedDrain: boolean;
    write(b: Buffer): boolean;
  };
  res.chunks = [];
  res.destroyed = false;
  res.writableNeedDrain = false;
  res.write = (b: Buffer) => {
    res.chunks.push(b);
    return true;
  };
  return res;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('gzip with a fresh compressor per burst', () => {
  it('compresses each event-loop turn into an independent segment of one gzip member, ended by a trailer', async () => {
    const res = fakeResponse();
    let sent = 0;
    const members = new GzipSegments(res as unknown as http.ServerResponse, (n) => (sent += n));
    members.write(Buffer.from('{"checkpoint":1}\n'));
    members.write(Buffer.from('{"data":2}\n'));
    expect(res.chunks).toHaveLength(0);
    await tick();
    expect(res.chunks).toHaveLength(1);
    expect(res.chunks[0]!.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 0x08]));
    // Already decodable as it arrives (the segment is sync-flushed): a streaming gunzip yields the lines.
    const inflate = zlib.createGunzip();
    const decoded: string[] = [];
    inflate.on('data', (b: Buffer) => decoded.push(b.toString()));
    inflate.write(res.chunks[0]!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(decoded.join('')).toBe('{"checkpoint":1}\n{"data":2}\n');
    members.write(Buffer.from('{"checkpoint_complete":3}\n'));
    await tick();
    expect(res.chunks).toHaveLength(2);
    // The second segment has no gzip header: the body stays one member (Chromium reads only the first).
    expect(res.chunks[1]!.subarray(0, 2)).not.toEqual(Buffer.from([0x1f, 0x8b]));
    members.end();
    // One gzip member with a valid CRC-32 and size (gunzipSync checks both).
    expect(zlib.gunzipSync(Buffer.concat(res.chunks)).toString()).toBe(
      '{"checkpoint":1}\n{"data":2}\n{"checkpoint_complete":3}\n',
    );
    expect(sent).toBe(res.chunks.reduce((n, c) => n + c.length, 0));
  });

  it('streams sending the same lines share one compressed segment and still decode with their own CRC', () => {
    const lines = Buffer.from(
      '{"checkpoint_diff":{"last_op_id":"7"}}\n{"checkpoint_complete":{"last_op_id":"7"}}\n',
    );
    const a = fakeResponse();
    const b = fakeResponse();
    const streamA = new GzipSegments(a as unknown as http.ServerResponse, () => undefined);
    const streamB = new GzipSegments(b as unknown as http.ServerResponse, () => undefined);
    // B has sent something else before: its running CRC and size differ from A's.
    streamB.write(Buffer.from('{"token_expires_in":60}\n'), true);
    streamA.write(Buffer.from(lines), true);
    streamB.write(Buffer.from(lines), true);
    // The same segment object (compressed once), after A's gzip header.
    expect(a.chunks[0]!.subarray(10)).toEqual(b.chunks[1]);
    streamA.end();
    streamB.end();
    expect(zlib.gunzipSync(Buffer.concat(a.chunks)).toString()).toBe(lines.toString());
    expect(zlib.gunzipSync(Buffer.concat(b.chunks)).toString()).toBe(
      '{"token_expires_in":60}\n' + lines.toString(),
    );
  });

  it('an empty stream is still a valid gzip body', () => {
    const res = fakeResponse();
    const members = new GzipSegments(res as unknown as http.ServerResponse, () => undefined);
    members.end();
    expect(zlib.gunzipSync(Buffer.concat(res.chunks)).toString()).toBe('');
  });

  it('reports backpressure from the response until it drains', async () => {
    const res = fakeResponse();
    // As a ServerResponse: a write that fills the buffer sets writableNeedDrain until 'drain'.
    res.write = (b: Buffer) => {
      res.chunks.push(b);
      res.writableNeedDrain = true;
      return false;
    };
    res.on('drain', () => (res.writableNeedDrain = false));
    const members = new GzipSegments(res as unknown as http.ServerResponse, () => undefined);
    expect(members.write(Buffer.from('a\n'))).toBe(true);
    await tick();
    expect(members.write(Buffer.from('b\n'))).toBe(false);
    res.emit('drain');
    expect(members.write(Buffer.from('c\n'))).toBe(true);
  });
});
