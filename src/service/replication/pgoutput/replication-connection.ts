import pg from 'pg';
import { PG_TEXT_SESSION_OPTIONS, rawTextTypes } from '../pg-values.js';
import { bigIntToLsn, lsnToBigInt } from './lsn.js';
import { ReplicationSession, type BatchHandler } from './replication-session.js';
import { encodeStandbyStatus } from './standby-status.js';
import { wireConnection, type WireConnection } from './wire-connection.js';

export interface SystemIdentity {
  systemId: string;
  timeline: number;
  /** Current WAL flush position, Postgres form. */
  xlogpos: string;
}

export interface StartReplicationOptions {
  slot: string;
  /** Where to resume: the consumer's last committed LSN, or `0/0` for the slot's confirmed position. */
  startLsn: string;
  publication: string;
  /** Ask for logical messages (`pg_logical_emit_message`); PG ≥ 14. */
  messages: boolean;
  /** Receives events in arrival order; the socket is paused until the returned promise settles. */
  onBatch: BatchHandler;
}

/** How long close() or a failed batch waits for the walsender to end the stream before dropping the socket. */
const END_TIMEOUT_MS = 5_000;

/** Slot names Postgres accepts: lower-case letters, digits and underscores, at most 63 characters. */
const SLOT_NAME = /^[a-z0-9_]{1,63}$/;

/**
 * A walsender connection (`replication=database`) speaking the streaming replication protocol through pg:
 * replication commands run as simple queries, and START_REPLICATION stays the active query for the whole
 * CopyBoth stream, which pg's connection exposes as `replicationStart` and `copyData` events.
 */
export class ReplicationConnection {
  private readonly wire: WireConnection;
  /** The highest LSN the consumer has confirmed; the only position ever reported to the server. */
  private acknowledged = 0n;
  private session: ReplicationSession | null = null;
  private streamEnded: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  private constructor(private readonly client: pg.Client) {
    this.wire = wireConnection(client);
  }

  static async connect(connectionString: string): Promise<ReplicationConnection> {
    const config: pg.ClientConfig & { replication: string } = {
      ...withTextSessionOptions(connectionString),
      replication: 'database',
      types: rawTextTypes,
    };
    const client = new pg.Client(config);
    // Errors of a connected client reach the active query (startReplication rejects); this listener only
    // keeps pg's 'error' event from becoming an uncaught exception.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return new ReplicationConnection(client);
  }

  async identifySystem(): Promise<SystemIdentity> {
    const { rows } = await this.client.query<{ systemid: string; timeline: string; xlogpos: string }>(
      'IDENTIFY_SYSTEM',
    );
    const row = rows[0];
    if (row === undefined) throw new Error('IDENTIFY_SYSTEM returned no row');
    return { systemId: row.systemid, timeline: Number(row.timeline), xlogpos: row.xlogpos };
  }

  /** A logical pgoutput slot, no exported snapshot: the snapshot is read later over ordinary connections. */
  async createSlot(slot: string): Promise<{ consistentPoint: string }> {
    const { rows } = await this.client.query<{ consistent_point: string }>(
      `CREATE_REPLICATION_SLOT ${slotName(slot)} LOGICAL pgoutput NOEXPORT_SNAPSHOT`,
    );
    const point = rows[0]?.consistent_point;
    if (point === undefined) throw new Error('CREATE_REPLICATION_SLOT returned no consistent point');
    return { consistentPoint: point };
  }

  /**
   * Streams until close() or the server ends the stream; resolves once the consumer has seen every
   * delivered batch. Rejects with the consumer's error if a batch fails (the stream is ended first), with a
   * decoding error, or with the server's/socket's error.
   */
  async startReplication(options: StartReplicationOptions): Promise<void> {
    if (this.closing !== null) throw new Error('Replication connection is closed');
    if (this.session !== null) throw new Error('Replication is already running on this connection');
    const start = lsnToBigInt(options.startLsn);
    if (start > this.acknowledged) this.acknowledged = start;
    const pluginOptions = [
      `proto_version '1'`,
      `publication_names ${quoteLiteral(options.publication)}`,
      ...(options.messages ? [`messages 'true'`] : []),
    ].join(', ');
    const sql = `START_REPLICATION SLOT ${slotName(options.slot)} LOGICAL ${bigIntToLsn(start)} (${pluginOptions})`;

    const session = new ReplicationSession(this.wire, options.onBatch, (reply) => this.writeStatus(reply));
    this.session = session;
    let streamError: unknown = null;
    const ended = this.client.query(sql).then(
      () => undefined,
      (error: unknown) => {
        streamError = error;
      },
    );
    this.streamEnded = ended;
    try {
      await Promise.race([ended, session.failed]);
      session.streamFinished();
      await Promise.race([session.settled(), session.failed]);
    } catch (batchError) {
      await this.awaitStreamEnd();
      throw batchError;
    } finally {
      session.detach();
      this.session = null;
    }
    if (streamError !== null && this.closing === null) throw streamError;
  }

  /**
   * Confirms everything up to `lsn` (written = flushed = applied), advancing the slot's confirmed_flush_lsn.
   * Never moves backwards. Sent at once while streaming; otherwise remembered for the next stream.
   */
  sendStatus(lsn: string, replyRequested = false): void {
    const position = lsnToBigInt(lsn);
    if (position > this.acknowledged) this.acknowledged = position;
    this.writeStatus(replyRequested);
  }

  /** Ends a running stream (CopyDone, so startReplication resolves) and the connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.session !== null) {
        this.session.requestEnd();
        await this.awaitStreamEnd();
      }
      await this.client.end().catch(() => undefined);
    })();
    return this.closing;
  }

  private writeStatus(replyRequested: boolean): void {
    const session = this.session;
    if (session === null || !session.streaming) return;
    this.wire.sendCopyFromChunk(encodeStandbyStatus(this.acknowledged, replyRequested));
    session.statusSent();
  }

  /** Waits for START_REPLICATION to complete after CopyDone; drops the socket if the server takes too long. */
  private async awaitStreamEnd(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), END_TIMEOUT_MS)),
    );
    const outcome = await Promise.race([this.streamEnded, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.wire.stream.destroy();
      await this.streamEnded;
    }
  }
}

/**
 * pg lets an `options` parameter in the URL replace the config's, so session options the URL already has are
 * appended to ours there (later `-c` settings win, so the URL can still override).
 */
function withTextSessionOptions(connectionString: string): { connectionString: string; options?: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString, options: PG_TEXT_SESSION_OPTIONS };
  }
  const existing = url.searchParams.get('options');
  if (existing === null) return { connectionString, options: PG_TEXT_SESSION_OPTIONS };
  url.searchParams.set('options', `${PG_TEXT_SESSION_OPTIONS} ${existing}`);
  return { connectionString: url.toString() };
}

function slotName(slot: string): string {
  if (!SLOT_NAME.test(slot)) throw new Error(`Invalid replication slot name: ${JSON.stringify(slot)}`);
  return slot;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
