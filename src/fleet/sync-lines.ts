/**
 * The server → client lines of the sync stream (protocol.md §1.4), typed only as far as the fleet reads them.
 * NDJSON and BSON decode to the same shapes; numbers may arrive as u32, i32, whole doubles or bigints.
 */

export type WireChecksum = number | bigint;

export interface CheckpointBucket {
  bucket: string;
  checksum: WireChecksum;
  count?: number;
  /** 0..3; default 3. */
  priority?: number;
}

export interface CheckpointLine {
  checkpoint: {
    last_op_id: string;
    write_checkpoint?: string | null;
    buckets: CheckpointBucket[];
  };
}

export interface CheckpointDiffLine {
  checkpoint_diff: {
    last_op_id: string;
    write_checkpoint?: string | null;
    updated_buckets: CheckpointBucket[];
    removed_buckets: string[];
  };
}

export interface OplogEntry {
  op_id: string;
  op: 'PUT' | 'REMOVE' | 'MOVE' | 'CLEAR';
  object_type?: string;
  object_id?: string;
  subkey?: string;
  /** The row as a JSON string (raw mode); null for REMOVE. */
  data?: string | null;
  checksum: WireChecksum;
}

export interface DataLine {
  data: {
    bucket: string;
    after?: string;
    next_after?: string;
    has_more?: boolean;
    data: OplogEntry[];
  };
}

export interface CheckpointCompleteLine {
  checkpoint_complete: { last_op_id: string };
}

export interface PartialCheckpointCompleteLine {
  partial_checkpoint_complete: { last_op_id: string; priority: number };
}

export interface TokenExpiresInLine {
  token_expires_in: number;
}

/** Any decoded line; unknown kinds are ignored, as clients do. */
export type SyncLine =
  | CheckpointLine
  | CheckpointDiffLine
  | DataLine
  | CheckpointCompleteLine
  | PartialCheckpointCompleteLine
  | TokenExpiresInLine
  | Record<string, unknown>;

/** The request body of `POST /sync/stream` (and the RSocket REQUEST_STREAM data) the fleet sends. */
export interface SyncRequestBody {
  buckets: Array<{ name: string; after: string }>;
  raw_data: true;
  client_id: string;
  parameters: Record<string, unknown>;
}
