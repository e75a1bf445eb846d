import { EventEmitter } from 'node:events';
import type http from 'node:http';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GzipMembers } from '../../src/service/api/http/gzip-members.js';

/** A response stand-in that records what is written. */
function fakeResponse() {
  const res = new EventEmitter() as EventEmitter & { chunks: Buffer[]; destroyed: boolean; write(b: Buffer): boolean };
  res.chunks = [];
  res.destroyed = false;
  res.write = (b: Buffer) => {
    res.chunks.push(b);
    return true;
  };
  return res;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('gzip as one member per burst', () => {
  it('compresses the lines of one event-loop turn into one complete member; members concatenate into one stream', async () => {
    const res = fakeResponse();
    let sent = 0;
    const members = new GzipMembers(res as unknown as http.ServerResponse, (n) => (sent += n));
    members.write(Buffer.from('{"checkpoint":1}\n'));
    members.write(Buffer.from('{"data":2}\n'));
    expect(res.chunks).toHaveLength(0);
    await tick();
    expect(res.chunks).toHaveLength(1);
    // Each member is a whole gzip file on its own (magic bytes, trailer): no state carries over.
    expect(zlib.gunzipSync(res.chunks[0]!).toString()).toBe('{"checkpoint":1}\n{"data":2}\n');
    members.write(Buffer.from('{"checkpoint_complete":3}\n'));
    await tick();
    expect(res.chunks).toHaveLength(2);
    expect(res.chunks[1]!.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    // RFC 1952 §2.2: decoders read the series of members as one body.
    expect(zlib.gunzipSync(Buffer.concat(res.chunks)).toString()).toBe(
      '{"checkpoint":1}\n{"data":2}\n{"checkpoint_complete":3}\n',
    );
    expect(sent).toBe(res.chunks[0]!.length + res.chunks[1]!.length);
  });

  it('reports backpressure from the response until it drains', async () => {
    const res = fakeResponse();
    res.write = (b: Buffer) => {
      res.chunks.push(b);
      return false;
    };
    const members = new GzipMembers(res as unknown as http.ServerResponse, () => undefined);
    expect(members.write(Buffer.from('a\n'))).toBe(true);
    await tick();
    expect(members.write(Buffer.from('b\n'))).toBe(false);
    res.emit('drain');
    expect(members.write(Buffer.from('c\n'))).toBe(true);
  });
});
