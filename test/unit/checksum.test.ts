import { describe, expect, it } from 'vitest';
import {
  addChecksums,
  normaliseChecksum,
  putChecksum,
  sumChecksums,
  toInt32,
} from '../../src/protocol/index.js';

describe('protocol checksums (protocol.md §1.7 vectors)', () => {
  const t1 = putChecksum('test', 't1', '{"id":"t1","description":"Test 1"}');
  const t2 = putChecksum('test', 't2', '{"id":"t2","description":"Test 2"}');

  it('computes PUT checksums of the reference vectors', () => {
    expect(t1).toBe(920318466);
    expect(t2).toBe(3280762209);
  });

  it('adds with wrap-around and renders the bucket checksum as int32', () => {
    const sum = addChecksums(t1, t2);
    expect(sum).toBe(4201080675 - 2 ** 32 + 2 ** 32);
    expect(toInt32(sum)).toBe(-93886621);
    expect(sumChecksums([t1, t2])).toBe(sum);
  });

  it('normalises every representation a server may send to uint32', () => {
    expect(normaliseChecksum(-93886621)).toBe(4201080675);
    expect(normaliseChecksum(4201080675)).toBe(4201080675);
    expect(normaliseChecksum(4201080675n + 2n ** 32n)).toBe(4201080675);
  });
});
