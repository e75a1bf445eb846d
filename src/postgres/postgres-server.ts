/** A reachable Postgres server: embedded (started by us) or external (named by the user). */
export interface PostgresServer {
  readonly kind: 'embedded' | 'external';
  /** Connection URL of a database on this server (default: the server's default database). */
  url(database?: string): string;
  /** Creates a database (dropping a leftover of the same name) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /**
   * Embedded only: a fast shutdown (sessions cut, as a crash or failover looks to clients), `downMs` with no
   * server, then a start on the same port and data. Faults for the drill.
   */
  restart?(downMs: number, onDown?: () => void): Promise<void>;
  /** Stops an embedded server and deletes its temporary data; closes nothing for an external one. */
  stop(): Promise<void>;
}
