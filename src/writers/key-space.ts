import type { IndexChooser } from './key-choice.js';

/** Tries of the chooser before falling back to a scan for a live, unreserved key. */
const PICK_TRIES = 16;

export interface KeySpaceOptions {
  /** Keys `prefix + 0 … prefix + (initialKeys - 1)` already exist (the loaded dataset). Default 0. */
  initialKeys?: number;
  /** Default `k`. */
  prefix?: string;
}

/** The keys one transaction touched: indexes into the key space. */
export interface TouchedKeys {
  inserted: readonly number[];
  updated: readonly number[];
  deleted: readonly number[];
}

/**
 * The table's live keys, compactly: keys are `prefix + index` with indexes handed out by a counter, and a
 * bitmap marks which exist (inserted and committed, not deleted). Keys an in-flight transaction updates or
 * deletes are reserved so no two transactions touch the same row at once (no deadlocks, no update of a row a
 * concurrent delete removes). Share one KeySpace between every generator writing the same table.
 */
export class KeySpace {
  readonly prefix: string;
  private words: Uint32Array;
  private allocatedCount: number;
  private live: number;
  private readonly reserved = new Set<number>();

  constructor(options: KeySpaceOptions = {}) {
    const initial = options.initialKeys ?? 0;
    if (!Number.isSafeInteger(initial) || initial < 0) {
      throw new RangeError(`initialKeys must be an integer ≥ 0, got ${initial}`);
    }
    this.prefix = options.prefix ?? 'k';
    this.words = new Uint32Array(Math.max(32, Math.ceil(initial / 32)));
    this.words.fill(0xffffffff, 0, initial >>> 5);
    if (initial & 31) this.words[initial >>> 5] = (1 << (initial & 31)) - 1;
    this.allocatedCount = initial;
    this.live = initial;
  }

  /** Indexes handed out so far (live, deleted, or inserts that never committed). */
  get allocated(): number {
    return this.allocatedCount;
  }

  /** Keys that exist. */
  get liveCount(): number {
    return this.live;
  }

  /** Live keys an in-flight transaction holds. */
  get reservedCount(): number {
    return this.reserved.size;
  }

  key(index: number): string {
    return `${this.prefix}${index}`;
  }

  isLive(index: number): boolean {
    return (
      index >= 0 &&
      index < this.allocatedCount &&
      ((this.words[index >>> 5] ?? 0) & (1 << (index & 31))) !== 0
    );
  }

  /** Every live key's index, ascending. */
  *liveIndexes(): Generator<number, void> {
    for (let i = 0; i < this.allocatedCount; i++) if (this.isLive(i)) yield i;
  }

  /** A fresh index for an insert; it becomes live when `settle` reports the insert committed. */
  allocate(): number {
    const index = this.allocatedCount++;
    if (index >>> 5 >= this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    return index;
  }

  /**
   * Picks a live key no in-flight transaction holds, with `choose` over the index space (so Zipf skew favours
   * the oldest keys), and reserves it; undefined when there is none.
   */
  reserveExisting(choose: IndexChooser): number | undefined {
    if (this.live - this.reserved.size <= 0) return undefined;
    let index = 0;
    for (let i = 0; i < PICK_TRIES; i++) {
      index = choose(this.allocatedCount);
      if (this.isAvailable(index)) return this.reserve(index);
    }
    const found = this.scanFrom(index);
    return found === undefined ? undefined : this.reserve(found);
  }

  /**
   * Ends a transaction. Committed: inserts become live, deletes dead. Failed: inserts stay dead, and deleted
   * keys are retired too, since a failure's outcome can be unknown (a lost connection during commit): the
   * generator never touches a row that might be gone. Reservations are released either way.
   */
  settle(touched: TouchedKeys, committed: boolean): void {
    if (committed) for (const index of touched.inserted) this.setLive(index, true);
    for (const index of touched.deleted) this.setLive(index, false);
    for (const index of touched.updated) this.reserved.delete(index);
    for (const index of touched.deleted) this.reserved.delete(index);
  }

  private isAvailable(index: number): boolean {
    return this.isLive(index) && !this.reserved.has(index);
  }

  private reserve(index: number): number {
    this.reserved.add(index);
    return index;
  }

  private setLive(index: number, live: boolean): void {
    if (this.isLive(index) === live) return;
    const word = index >>> 5;
    const bit = 1 << (index & 31);
    this.words[word] = live ? (this.words[word] ?? 0) | bit : (this.words[word] ?? 0) & ~bit;
    this.live += live ? 1 : -1;
  }

  /** The first available index at or after `start`, wrapping; skips empty bitmap words. */
  private scanFrom(start: number): number | undefined {
    const n = this.allocatedCount;
    for (let step = 0; step < n;) {
      const i = (start + step) % n;
      if ((this.words[i >>> 5] ?? 0) >>> (i & 31) === 0) {
        step += Math.min(32 - (i & 31), n - i);
        continue;
      }
      if (this.isAvailable(i)) return i;
      step++;
    }
    return undefined;
  }
}
