import { Scalar, type LineCounter } from 'yaml';

/** A 1-based position in the YAML text. */
export interface SourcePosition {
  line: number;
  column?: number;
}

/** Maps an offset inside a scalar's string value to its position in the YAML text. */
export type PositionInValue = (offset: number | undefined) => SourcePosition;

/**
 * Builds the offset mapping for one scalar. Exact for single-line plain scalars, quoted scalars without
 * escapes and literal block scalars (`|`); other styles map every offset to the scalar's first line.
 */
export function positionInScalar(node: Scalar, source: string, lines: LineCounter): PositionInValue {
  const start = node.range?.[0] ?? 0;
  const end = node.range?.[1] ?? start;
  const startPos = lines.linePos(start);
  const fallback: SourcePosition = { line: startPos.line, column: startPos.col };
  const value = String(node.value);
  const raw = source.slice(start, end);
  const inline = inlineOffset(node.type, raw, value);
  if (inline !== undefined) {
    return (offset) => {
      if (offset === undefined) return fallback;
      const pos = lines.linePos(start + inline + offset);
      return { line: pos.line, column: pos.col };
    };
  }
  if (node.type === Scalar.BLOCK_LITERAL) return blockLiteralPosition(raw, value, startPos.line, fallback);
  return (offset) => (offset === undefined ? fallback : { line: startPos.line });
}

function inlineOffset(type: Scalar['type'], raw: string, value: string): number | undefined {
  if (value.includes('\n')) return undefined;
  if (type === Scalar.PLAIN && raw === value) return 0;
  const quoted = type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE;
  if (quoted && raw.slice(1, -1) === value) return 1;
  return undefined;
}

function blockLiteralPosition(
  raw: string,
  value: string,
  headerLine: number,
  fallback: SourcePosition,
): PositionInValue {
  const contentLines = raw.split('\n').slice(1);
  const indent = Math.min(
    ...contentLines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
  );
  if (!Number.isFinite(indent)) return () => fallback;
  return (offset) => {
    if (offset === undefined) return fallback;
    const before = value.slice(0, offset).split('\n');
    const lineIndex = before.length - 1;
    const column = (before[lineIndex]?.length ?? 0) + indent + 1;
    return { line: headerLine + 1 + lineIndex, column };
  };
}
