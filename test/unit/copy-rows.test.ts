import { describe, expect, it } from 'vitest';
import { copyBytea, copyText } from '../../src/service/storage/copy-rows.js';

/** Postgres's COPY text-format unescaping (the subset copyText produces), to check the round trip. */
function unescapeCopy(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/g, (_, c: string) =>
    c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c,
  );
}

describe('COPY text format', () => {
  it('escapes exactly the characters that would end a field or a row, and backslash', () => {
    const awkward = 'a\tb\nc\rd\\e \\N ünïcødé 🚀 "quotes" \'single\'';
    const escaped = copyText(awkward);
    expect(escaped).not.toMatch(/[\t\n\r]/);
    expect(unescapeCopy(escaped)).toBe(awkward);
    expect(copyText('plain')).toBe('plain');
  });

  it('writes null as \\N, and the text "\\N" so it stays text', () => {
    expect(copyText(null)).toBe('\\N');
    expect(unescapeCopy(copyText('\\N'))).toBe('\\N');
  });

  it('writes bytea as hex input with its backslash escaped for COPY', () => {
    const bytes = Buffer.from([0, 9, 10, 92, 255]);
    expect(copyBytea(bytes)).toBe('\\\\x00090a5cff');
    expect(unescapeCopy(copyBytea(bytes))).toBe('\\x00090a5cff');
    expect(copyBytea(null)).toBe('\\N');
  });
});
