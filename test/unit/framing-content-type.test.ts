import { describe, expect, it } from 'vitest';
import { chooseSyncContentType } from '../../src/protocol/index.js';

const NDJSON = 'application/x-ndjson';
const BSON = 'application/vnd.powersync.bson-stream';

describe('sync stream content negotiation', () => {
  it.each([
    [undefined, NDJSON],
    ['', NDJSON],
    ['*/*', NDJSON],
    ['application/*', NDJSON],
    ['application/json', NDJSON],
    [NDJSON, NDJSON],
    [BSON, BSON],
    [`${BSON};q=0.9,${NDJSON};q=0.8`, BSON],
    [`${NDJSON};q=0.9,${BSON};q=0.8`, NDJSON],
    [`${BSON}, ${NDJSON}`, NDJSON],
    [`${NDJSON};q=0, ${BSON};q=0.1`, BSON],
    [`${BSON};q=0.5, */*`, NDJSON],
    [`${BSON}, */*;q=0.5`, BSON],
    [`${BSON};q=0`, NDJSON],
    [`APPLICATION/VND.POWERSYNC.BSON-STREAM ; Q=0.9 , application/x-ndjson;q=0.8`, BSON],
    [`${BSON};q=abc`, NDJSON],
  ])('Accept %j → %s', (accept, expected) => {
    expect(chooseSyncContentType(accept)).toBe(expected);
  });
});
