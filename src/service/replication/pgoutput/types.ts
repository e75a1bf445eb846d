/** What the pgoutput decoder emits (protocol version 1, with logical messages). LSNs are in Postgres form. */

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity (primary key, identity index, or every column with REPLICA IDENTITY FULL). */
  isKey: boolean;
}

export interface RelationInfo {
  relationId: number;
  schema: string;
  name: string;
  replicaIdentity: ReplicaIdentity;
  columns: RelationColumn[];
}

/** Per column: the text value, null, or undefined for an unchanged TOASTed value ('u'). */
export type TupleText = Array<string | null | undefined>;

export type ReplicationEvent =
  | { tag: 'begin'; finalLsn: string; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: string; endLsn: string; commitTime: bigint }
  | { tag: 'relation'; relation: RelationInfo }
  | { tag: 'insert'; relation: RelationInfo; new: TupleText }
  /** `old` is the key ('K') or full old tuple ('O') when the server sends one, else null. */
  | { tag: 'update'; relation: RelationInfo; old: TupleText | null; new: TupleText }
  | { tag: 'delete'; relation: RelationInfo; old: TupleText }
  | { tag: 'truncate'; relations: RelationInfo[] }
  | { tag: 'message'; transactional: boolean; lsn: string; prefix: string; content: Buffer }
  /** Primary keepalive: `walEnd` is the server's current end of WAL, not something we may confirm. */
  | { tag: 'keepalive'; walEnd: string; replyRequested: boolean; serverTime: bigint }
  | { tag: 'type' | 'origin' };

/** Timestamps on the wire: microseconds since 2000-01-01 00:00:00 UTC. */
export const PG_EPOCH_MS = 946_684_800_000;
