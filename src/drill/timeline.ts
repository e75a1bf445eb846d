/** One thing that happened during a drill, at `at` (ms since the epoch). */
export interface DrillEvent {
  at: number;
  /** The process or part concerned: `replicator-1`, `api-0`, `fleet`, `drill`. */
  subject: string;
  kind:
    | 'step'
    | 'started'
    | 'standby'
    | 'acquired'
    | 'released'
    | 'signal'
    | 'exited'
    | 'out-of-rotation'
    | 'in-rotation'
    | 'error';
  detail?: string;
}

/** A span during which one replicator said it held the replication lock. */
export interface LockSpan {
  holder: string;
  from: number;
  /** Release, exit, or the end of the drill when still held. */
  to: number;
  endedBy: 'released' | 'exited' | 'still held';
}

/** Events in time order, and what can be derived from them alone. */
export class Timeline {
  readonly events: DrillEvent[] = [];

  add(event: DrillEvent): void {
    this.events.push(event);
  }

  first(predicate: (e: DrillEvent) => boolean, after = 0): DrillEvent | undefined {
    return this.events.find((e) => e.at >= after && predicate(e));
  }

  /** Each replicator's spans of holding the lock, from its own acquired/released/exited events. */
  lockSpans(end: number): LockSpan[] {
    const open = new Map<string, number>();
    const spans: LockSpan[] = [];
    for (const e of [...this.events].sort((a, b) => a.at - b.at)) {
      if (!e.subject.startsWith('replicator-')) continue;
      if (e.kind === 'acquired' && !open.has(e.subject)) open.set(e.subject, e.at);
      if ((e.kind === 'released' || e.kind === 'exited') && open.has(e.subject)) {
        spans.push({ holder: e.subject, from: open.get(e.subject)!, to: e.at, endedBy: e.kind });
        open.delete(e.subject);
      }
    }
    for (const [holder, from] of open) spans.push({ holder, from, to: end, endedBy: 'still held' });
    return spans.sort((a, b) => a.from - b.from);
  }
}

/** Pairs of spans of different holders that overlap, with the overlap in ms. */
export function overlappingHolders(
  spans: readonly LockSpan[],
): Array<{ a: LockSpan; b: LockSpan; overlapMs: number }> {
  const overlaps: Array<{ a: LockSpan; b: LockSpan; overlapMs: number }> = [];
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      if (a.holder === b.holder) continue;
      const overlapMs = Math.min(a.to, b.to) - Math.max(a.from, b.from);
      if (overlapMs > 0) overlaps.push({ a, b, overlapMs });
    }
  }
  return overlaps;
}
