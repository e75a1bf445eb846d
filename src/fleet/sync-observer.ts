import type { OplogEntry } from './sync-lines.js';

/**
 * Sees what one simulated client receives and applies, op by op. The fleet keeps no row data (memory per
 * client matters at scale); a drill that must compare every client's rows with the source attaches one.
 */
export interface SyncObserver {
  /** A data chunk arrived; not applied until a checkpoint covering its bucket completes. */
  data(bucket: string, ops: readonly OplogEntry[]): void;
  /** A (partial) checkpoint completed and validated: ops received for the buckets `covers` accepts are applied. */
  completed(covers: (bucket: string) => boolean): void;
  /** The stream is reconnecting: ops not yet applied will be sent again. */
  rolledBack(): void;
  /** Buckets deleted locally after a checksum failure; they sync again from scratch. */
  dropped(buckets: readonly string[]): void;
}

/** Creates the observer of one client (by its user and client id). */
export type SyncObserverFactory = (client: { userId: string; clientId: string }) => SyncObserver;
