/** What the contract suite needs from a sync service under test: reference service or a real PowerSync. */
export interface SyncTarget {
  /** Base URL, e.g. http://127.0.0.1:PORT. */
  endpoint: string;
  /** A valid token for `sub` (HS256 with the target's key). */
  token(
    sub: string,
    options?: { lifetimeSeconds?: number; audience?: string | string[]; iatOffsetSeconds?: number },
  ): Promise<string>;
  /** Runs SQL on the source database. */
  sql(text: string, values?: unknown[]): Promise<void>;
  /** Bucket name prefix of the target's current sync config (`1#` for storage v2). */
  bucket(name: string): string;
  /** Whether limits can be tested (the target was started with max_concurrent_connections 3). */
  smallConnectionLimit: boolean;
  /**
   * The server's own count of open sync streams (`powersync_concurrent_connections`), when observable.
   * A closed client stream is released by the server asynchronously; tests that depend on the count wait
   * for it instead of sleeping.
   */
  openConnections?(): Promise<number>;
}
