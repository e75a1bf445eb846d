/** Counters and gauges of one replicator process, read by probes and the Prometheus exporter. */
export interface ReplicationMetrics {
  rows: number;
  ops: number;
  transactions: number;
  chunks: number;
  bytes: number;
  /** Source commit to storage commit of the oldest change in the last storage transaction; null until known. */
  lagSeconds: number | null;
  lastCommitAt: number | null;
}

export function createReplicationMetrics(): ReplicationMetrics {
  return { rows: 0, ops: 0, transactions: 0, chunks: 0, bytes: 0, lagSeconds: null, lastCommitAt: null };
}
