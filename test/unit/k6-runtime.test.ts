import { createHmac } from 'node:crypto';
import { BSON, Long } from 'bson';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeBson, k6Stages, signToken, utf8Decode, utf8Encode } from '../../src/k6/index.js';
import { decodeFrame, FrameType } from '../../src/protocol/index.js';
import {
  keepaliveFrame,
  requestNFrame,
  requestStreamFrame,
  setupFrame,
} from '../../src/k6/runtime/rsocket-session.js';
import { parseScenario } from '../../src/scenario/index.js';

describe('k6 runtime: bytes without Node', () => {
  it('UTF-8 round-trips every plane and matches Node', () => {
    const text = 'plain, ünïcödé, 中文, emoji 🚀🧪, and a lone \u00e9';
    expect(Buffer.from(utf8Encode(text)).toString('utf8')).toBe(text);
    expect(utf8Decode(new Uint8Array(Buffer.from(text, 'utf8')))).toBe(text);
    const long = 'x'.repeat(10_000) + '🚀';
    expect(utf8Decode(utf8Encode(long))).toBe(long);
  });

  it('reads the BSON of sync lines as the bson library writes them (int32, int64, doubles, nesting)', () => {
    const lines = [
      {
        checkpoint: {
          last_op_id: '42',
          write_checkpoint: null,
          buckets: [{ bucket: 'b["ü"]', checksum: -5, count: 3, priority: 3 }],
        },
      },
      {
        data: {
          bucket: 'b',
          after: '0',
          next_after: '42',
          has_more: false,
          data: [
            {
              op_id: '1',
              op: 'PUT',
              object_type: 'todos',
              object_id: 't1',
              checksum: Long.fromNumber(4294967295),
              data: '{"ss_ts":1733350000000}',
            },
          ],
        },
      },
      { checkpoint_complete: { last_op_id: '42' } },
      {
        token_expires_in: 3600,
        partial_checkpoint_complete: { last_op_id: '7', priority: 1 },
        ratio: 0.5,
        ok: true,
      },
    ];
    for (const line of lines) {
      const decoded = decodeBson(new Uint8Array(BSON.serialize(line)));
      const expected = BSON.deserialize(BSON.serialize(line), { promoteLongs: true });
      expect(decoded).toEqual(JSON.parse(JSON.stringify(expected)));
    }
  });

  it('refuses truncated BSON instead of reading past it', () => {
    const bytes = new Uint8Array(BSON.serialize({ a: 'hello' }));
    expect(() => decodeBson(bytes.subarray(0, bytes.length - 3))).toThrow(/does not fit/);
  });

  it('frames decode with the service’s own RSocket decoder', () => {
    const setup = decodeFrame(Buffer.from(setupFrame('tok', 20_000, 30_000)));
    expect(setup).toMatchObject({
      type: FrameType.SETUP,
      keepaliveMs: 20_000,
      lifetimeMs: 30_000,
      metadataMime: 'application/json',
      dataMime: 'application/json',
    });
    expect(JSON.parse(Buffer.from((setup as { metadata: Uint8Array }).metadata).toString())).toEqual({
      token: 'Token tok',
      user_agent: 'syncscale-k6',
    });
    const request = decodeFrame(Buffer.from(requestStreamFrame({ raw_data: true, buckets: [] }, 10)));
    expect(request).toMatchObject({ type: FrameType.REQUEST_STREAM, streamId: 1, initialN: 10 });
    expect(JSON.parse(Buffer.from((request as { data: Uint8Array }).data).toString())).toEqual({
      raw_data: true,
      buckets: [],
    });
    expect(decodeFrame(Buffer.from(requestNFrame(7)))).toMatchObject({ type: FrameType.REQUEST_N, n: 7 });
    expect(decodeFrame(Buffer.from(keepaliveFrame()))).toMatchObject({
      type: FrameType.KEEPALIVE,
      respond: true,
    });
  });

  it('signs HS256 tokens that jose verifies (what the service checks)', async () => {
    const secret = Buffer.from('a-secret-of-thirty-two-bytes-long!!');
    const token = signToken({
      sub: 'user7',
      audience: 'https://sync.example',
      kid: 'k1',
      lifetimeSeconds: 300,
      nowSeconds: Date.now() / 1000,
      hmacSha256: (input) => new Uint8Array(createHmac('sha256', secret).update(input).digest()),
    });
    const { payload, protectedHeader } = await jose.jwtVerify(token, secret, {
      audience: 'https://sync.example',
    });
    expect(payload.sub).toBe('user7');
    expect(protectedHeader).toMatchObject({ alg: 'HS256', kid: 'k1' });
  });
});

describe('k6 stages follow the scenario', () => {
  it('constant, ramp and a step between phases; phase boundaries for ingest', () => {
    const scenario = parseScenario(
      `name: s
target: { external: { endpoint: 'http://127.0.0.1:1', source_database_url: 'postgres://x@127.0.0.1/db', token: { key: { k: abc } } } }
phases:
  - { name: ramp, duration: 10s, clients: { ramp: { from: 0, to: 100 } } }
  - { name: hold, duration: 20s, clients: { constant: 100 } }
  - { name: more, duration: 5s, clients: { constant: 300 } }
`,
      { env: {}, baseDir: new URL('../../scenarios/', import.meta.url).pathname },
    );
    const { stages, phases } = k6Stages(scenario);
    expect(stages).toEqual([
      { duration: '10000ms', target: 100 },
      { duration: '20000ms', target: 100 },
      { duration: '1s', target: 300 },
      { duration: '5000ms', target: 300 },
      { duration: '5s', target: 0 },
    ]);
    expect(phases).toEqual([
      { name: 'ramp', startMs: 0, endMs: 10_000 },
      { name: 'hold', startMs: 10_000, endMs: 30_000 },
      { name: 'more', startMs: 30_000, endMs: 35_000 },
    ]);
  });
});
