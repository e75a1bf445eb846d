import type { Socket } from 'node:net';
import type pg from 'pg';

/**
 * The parts of pg's internal `Connection` the replication client relies on but @types/pg does not declare:
 * the CopyBoth events and the CopyData/CopyDone senders (pg uses them for COPY FROM STDIN).
 */
export interface WireConnection {
  readonly stream: Socket;
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): this;
  on(event: 'replicationStart', listener: () => void): this;
  off(event: 'copyData', listener: (message: { chunk: Buffer }) => void): this;
  off(event: 'replicationStart', listener: () => void): this;
  /** Sends a CopyData ('d') message. */
  sendCopyFromChunk(chunk: Buffer): void;
  /** Sends CopyDone ('c'): asks the walsender to end the stream. */
  endCopyFrom(): void;
}

export function wireConnection(client: pg.Client): WireConnection {
  return client.connection as unknown as WireConnection;
}
