import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ExitCode, ServiceError } from '../../src/errors/index.js';

describe('error codes', () => {
  const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map(
    [...doc.matchAll(/^\|\s*([A-Z]+_\w+)\s*\|\s*(\d+)\s*\|\s*(.*?)\s*\|/gm)].map((m) => [
      m[1]!,
      { status: Number(m[2]), title: m[3] },
    ]),
  );

  it('docs/errors.md lists exactly the codes of the enum, with their status and title', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ErrorCodes).sort());
    for (const [code, info] of Object.entries(ErrorCodes)) {
      expect(documented.get(code), code).toEqual({ status: info.status, title: info.title });
    }
  });

  it('renders service errors as the real service does', () => {
    const error = new ServiceError('PSYNC_S2106', 'No token provided');
    expect(error.message).toBe('[PSYNC_S2106] No token provided');
    expect(error.toJSON()).toEqual({
      error: { name: 'ServiceError', code: 'PSYNC_S2106', status: 401, description: 'No token provided' },
    });
  });

  it('keeps exit codes distinct', () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});
