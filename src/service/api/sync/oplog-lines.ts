import type { OplogRow } from '../../storage/index.js';

/** An op as the protocol sends it (protocol.md §1.4); `legacy` embeds PUT data as an object (non-raw NDJSON). */
export function oplogEntry(row: OplogRow, legacy: boolean): Record<string, unknown> {
  if (row.op === 'MOVE' || row.op === 'CLEAR') {
    return { op_id: row.opId.toString(), op: row.op, checksum: row.checksum };
  }
  return {
    op_id: row.opId.toString(),
    op: row.op,
    object_type: row.objectType,
    object_id: row.objectId,
    subkey: row.subkey,
    data: legacy && row.data !== null ? JSON.parse(row.data) : row.data,
    checksum: row.checksum,
  };
}

/** Approximate stored size of an op, for cutting data chunks near 1 MiB. */
export function storedSize(row: OplogRow): number {
  return 64 + (row.data?.length ?? 0) + (row.objectId?.length ?? 0) + (row.objectType?.length ?? 0);
}
