/**
 * Parsers for the Linux /proc files the process probe reads. Pure functions over file text, so they are
 * tested with fixture text (proc(5) documents the formats).
 */

export interface ProcStat {
  pid: number;
  /** Executable name as the kernel reports it (may hold spaces and parentheses). */
  comm: string;
  state: string;
  /** User and system CPU time in clock ticks (fields 14 and 15). */
  utimeTicks: number;
  stimeTicks: number;
  /** Start time after boot in clock ticks (field 22): a change means the pid now names another process. */
  startTicks: number;
}

/**
 * Parses `/proc/<pid>/stat`. The comm field is in parentheses and may itself contain `)` and spaces, so the
 * fields after it are found from the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error('malformed /proc stat: no (comm)');
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const field = (n: number): number => {
    const raw = rest[n - 3];
    const value = raw === undefined ? NaN : Number(raw);
    if (!Number.isFinite(value)) throw new Error(`malformed /proc stat: field ${n} is ${raw ?? 'missing'}`);
    return value;
  };
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    utimeTicks: field(14),
    stimeTicks: field(15),
    startTicks: field(22),
  };
}

export interface ProcStatus {
  /** VmRSS and VmHWM in bytes; undefined for kernel threads and zombies, which have no user memory. */
  rssBytes?: number;
  rssPeakBytes?: number;
}

/** Parses the memory lines of `/proc/<pid>/status` (`VmRSS:\t  1234 kB`). */
export function parseProcStatus(text: string): ProcStatus {
  const result: ProcStatus = {};
  for (const line of text.split('\n')) {
    const match = /^(VmRSS|VmHWM):\s*(\d+)\s*kB/.exec(line);
    if (!match) continue;
    const bytes = Number(match[2]) * 1024;
    if (match[1] === 'VmRSS') result.rssBytes = bytes;
    else result.rssPeakBytes = bytes;
  }
  return result;
}

/**
 * Clock ticks per second for /proc CPU times. Linux exports times to user space in USER_HZ, which is 100 on
 * every architecture Node supports (what `getconf CLK_TCK` prints), whatever the kernel's internal HZ.
 */
export const USER_HZ = 100;
