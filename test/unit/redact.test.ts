import { describe, expect, it } from 'vitest';
import { fingerprint, Redactor } from '../../src/redact/index.js';

describe('redactor', () => {
  it('replaces a registered secret in every encoding by a stable fingerprint', () => {
    const r = new Redactor();
    r.add('hunter2-secret-key');
    const label = `REDACTED(sha256:${fingerprint('hunter2-secret-key')})`;
    for (const form of [
      'hunter2-secret-key',
      Buffer.from('hunter2-secret-key').toString('base64'),
      Buffer.from('hunter2-secret-key').toString('base64url'),
    ])
      expect(r.text(`a ${form} b`)).toBe(`a ${label} b`);
    expect(r.text(encodeURIComponent('a b hunter2-secret-key'))).toContain(label);
  });

  it('masks passwords in URLs, JWTs and Authorization values without registration, keeping host and database', () => {
    const r = new Redactor();
    expect(r.text('postgresql://app:pw1@db.example:5432/app')).toBe(
      'postgresql://app:REDACTED@db.example:5432/app',
    );
    expect(r.text('mongodb+srv://u:p@cluster0/x')).toBe('mongodb+srv://u:REDACTED@cluster0/x');
    expect(r.text('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyMCJ9.c2lnbmF0dXJlLW9mLXRva2Vu')).toMatch(
      /^token REDACTED-JWT\(sha256:[0-9a-f]{8}\)$/,
    );
    expect(r.text('"Authorization": "Bearer abc.def"')).toMatch(/"Authorization": "Bearer REDACTED\(sha256:/);
  });

  it('redacts secret slots of a value by key (JWK k and private members, password, token) and keeps kid', () => {
    const r = new Redactor();
    const out = r.value({
      key: { k: 'abcdefgh', kid: 'main' },
      jwk: { kty: 'RSA', d: 'private-d', n: 'public-n' },
      password: 'p4ssw0rd!',
    });
    expect(out.key.kid).toBe('main');
    expect(out.key.k).toMatch(/^REDACTED\(sha256:/);
    expect(out.jwk.d).toMatch(/^REDACTED/);
    expect(out.jwk.n).toBe('public-n');
    expect(out.password).toMatch(/^REDACTED/);
  });

  it('registers what a scenario holds, but not public defaults (the embedded Postgres password)', () => {
    const r = new Redactor();
    r.addFrom({
      target: {
        source_database_url: 'postgres://postgres:syncscale@127.0.0.1/x',
        token: { key: { k: 'K3y-Value-123' } },
      },
    });
    expect(r.text('syncscale run')).toBe('syncscale run');
    expect(r.text('K3y-Value-123')).toMatch(/^REDACTED/);
  });
});
