import { ServiceError } from '../../../errors/index.js';
import { formatLsn } from './lsn.js';
import type { RelationInfo, ReplicaIdentity, ReplicationEvent, TupleText } from './types.js';

const EMPTY = Buffer.alloc(0);

const IDENTITIES: Record<number, ReplicaIdentity> = {
  0x64: 'default', // d
  0x6e: 'nothing', // n
  0x66: 'full', // f
  0x69: 'index', // i
};

/**
 * Decodes the CopyData payloads of a logical replication stream using pgoutput protocol version 1: XLogData
 * ('w') carrying one pgoutput message, and primary keepalives ('k'). Reads straight from the buffer with an
 * offset; the only allocations are the event, its strings and arrays. Relations are cached by id; each
 * Relation message replaces its entry, and row events carry the entry current when they were decoded.
 *
 * The payload may be a view into pg's reusable receive buffer, so nothing returned references it.
 */
export class PgoutputDecoder {
  private readonly relations = new Map<number, RelationInfo>();
  private buf: Buffer = EMPTY;
  private pos = 0;

  relation(relationId: number): RelationInfo | undefined {
    return this.relations.get(relationId);
  }

  /** Returns the decoded event, or null for a CopyData kind this client ignores. */
  decodeCopyData(payload: Buffer): ReplicationEvent | null {
    this.buf = payload;
    try {
      switch (payload[0]) {
        case 0x77: // w: XLogData — walStart(8) walEnd(8) sendTime(8) then the pgoutput message
          this.pos = 25;
          return this.decodeMessage();
        case 0x6b: // k: primary keepalive — walEnd(8) sendTime(8) replyRequested(1)
          return {
            tag: 'keepalive',
            walEnd: this.lsnAt(1),
            serverTime: payload.readBigInt64BE(9),
            replyRequested: payload[17] === 1,
          };
        default:
          return null;
      }
    } finally {
      this.buf = EMPTY;
    }
  }

  private decodeMessage(): ReplicationEvent {
    const buf = this.buf;
    const tag = buf[this.pos++];
    switch (tag) {
      case 0x42: // B
        return {
          tag: 'begin',
          finalLsn: this.lsnAt(this.pos),
          commitTime: buf.readBigInt64BE(this.pos + 8),
          xid: buf.readUInt32BE(this.pos + 16),
        };
      case 0x43: // C: flags(1) commitLsn(8) endLsn(8) commitTime(8)
        return {
          tag: 'commit',
          commitLsn: this.lsnAt(this.pos + 1),
          endLsn: this.lsnAt(this.pos + 9),
          commitTime: buf.readBigInt64BE(this.pos + 17),
        };
      case 0x52: // R
        return { tag: 'relation', relation: this.decodeRelation() };
      case 0x49: // I
        return this.decodeInsert();
      case 0x55: // U
        return this.decodeUpdate();
      case 0x44: // D
        return this.decodeDelete();
      case 0x54: // T
        return this.decodeTruncate();
      case 0x4d: // M
        return this.decodeLogicalMessage();
      case 0x59: // Y
        return { tag: 'type' };
      case 0x4f: // O
        return { tag: 'origin' };
      default:
        throw new ServiceError('PSYNC_S1101', `Unexpected pgoutput message tag 0x${(tag ?? 0).toString(16)}`);
    }
  }

  private decodeRelation(): RelationInfo {
    const buf = this.buf;
    const relationId = buf.readUInt32BE(this.pos);
    this.pos += 4;
    const schema = this.cstring();
    const name = this.cstring();
    const replicaIdentity = IDENTITIES[buf[this.pos++] as number] ?? 'default';
    const count = buf.readUInt16BE(this.pos);
    this.pos += 2;
    const columns: RelationInfo['columns'] = new Array(count);
    for (let i = 0; i < count; i++) {
      const flags = buf[this.pos++] as number;
      const columnName = this.cstring();
      const typeOid = buf.readUInt32BE(this.pos);
      const typeMod = buf.readInt32BE(this.pos + 4);
      this.pos += 8;
      columns[i] = { name: columnName, typeOid, typeMod, isKey: (flags & 1) === 1 };
    }
    const relation: RelationInfo = { relationId, schema, name, replicaIdentity, columns };
    this.relations.set(relationId, relation);
    return relation;
  }

  private decodeInsert(): ReplicationEvent {
    const relation = this.relationAt();
    this.pos++; // 'N'
    return { tag: 'insert', relation, new: this.tuple() };
  }

  private decodeUpdate(): ReplicationEvent {
    const relation = this.relationAt();
    let old: TupleText | null = null;
    let kind = this.buf[this.pos++];
    if (kind === 0x4b || kind === 0x4f) {
      // 'K' (key columns) or 'O' (whole old row), followed by 'N'
      old = this.tuple();
      kind = this.buf[this.pos++];
    }
    if (kind !== 0x4e) throw new ServiceError('PSYNC_S1101', 'pgoutput update without a new tuple');
    return { tag: 'update', relation, old, new: this.tuple() };
  }

  private decodeDelete(): ReplicationEvent {
    const relation = this.relationAt();
    this.pos++; // 'K' or 'O'
    return { tag: 'delete', relation, old: this.tuple() };
  }

  private decodeTruncate(): ReplicationEvent {
    const buf = this.buf;
    const count = buf.readUInt32BE(this.pos);
    this.pos += 5; // count(4), options(1): CASCADE / RESTART IDENTITY bits
    const relations: RelationInfo[] = new Array(count);
    for (let i = 0; i < count; i++) relations[i] = this.relationAt();
    return { tag: 'truncate', relations };
  }

  private decodeLogicalMessage(): ReplicationEvent {
    const buf = this.buf;
    const transactional = ((buf[this.pos] as number) & 1) === 1;
    const lsn = this.lsnAt(this.pos + 1);
    this.pos += 9;
    const prefix = this.cstring();
    const length = buf.readUInt32BE(this.pos);
    this.pos += 4;
    // A copy: the payload is a view into a buffer pg reuses for later socket reads.
    const content = Buffer.from(buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return { tag: 'message', transactional, lsn, prefix, content };
  }

  private relationAt(): RelationInfo {
    const relationId = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    const relation = this.relations.get(relationId);
    if (relation === undefined) {
      throw new ServiceError(
        'PSYNC_S1101',
        `pgoutput row change for relation ${relationId} before its Relation message`,
      );
    }
    return relation;
  }

  /** TupleData: count(2), then per column 'n' (null), 'u' (unchanged TOAST) or 't' length(4) text. */
  private tuple(): TupleText {
    const buf = this.buf;
    const count = buf.readUInt16BE(this.pos);
    let pos = this.pos + 2;
    const values: TupleText = new Array(count);
    for (let i = 0; i < count; i++) {
      const kind = buf[pos++];
      if (kind === 0x74) {
        const length = buf.readUInt32BE(pos);
        pos += 4;
        values[i] = buf.toString('utf8', pos, pos + length);
        pos += length;
      } else if (kind === 0x6e) {
        values[i] = null;
      } else if (kind === 0x75) {
        values[i] = undefined;
      } else {
        throw new ServiceError(
          'PSYNC_S1101',
          `Unexpected pgoutput tuple column kind 0x${(kind ?? 0).toString(16)}`,
        );
      }
    }
    this.pos = pos;
    return values;
  }

  private cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new ServiceError('PSYNC_S1101', 'Unterminated string in pgoutput message');
    const value = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return value;
  }

  private lsnAt(offset: number): string {
    return formatLsn(this.buf.readUInt32BE(offset), this.buf.readUInt32BE(offset + 4));
  }
}
