/** Number formatting for reports: every figure carries its unit; no locale, so output is the same everywhere. */

export const DASH = '—';

export function formatMs(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return DASH;
  return `${roundMs(value)} ms`;
}

/** Milliseconds rounded to a precision that fits their size (3 significant figures below 100 ms). */
export function roundMs(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toString();
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatMiB(bytes: number | undefined | null): string {
  if (bytes === undefined || bytes === null || !Number.isFinite(bytes)) return DASH;
  return `${toMiB(bytes).toFixed(1)} MiB`;
}

export function toMiB(bytes: number): number {
  return bytes / (1024 * 1024);
}

export function formatCores(cores: number | undefined | null): string {
  if (cores === undefined || cores === null || !Number.isFinite(cores)) return DASH;
  return `${cores.toFixed(2)} cores`;
}

export function formatRate(perSecond: number | undefined | null, unit = 'tx/s'): string {
  if (perSecond === undefined || perSecond === null || !Number.isFinite(perSecond)) return DASH;
  return `${Number.isInteger(perSecond) ? perSecond : perSecond.toFixed(1)} ${unit}`;
}

/** A generic number: integers as they are, others to 3 significant figures. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toString();
  return Math.abs(value) >= 1000 ? Math.round(value).toString() : Number(value.toPrecision(3)).toString();
}

export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

/** Escapes `|` and newlines so a value cannot break a Markdown table. */
export function mdCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
