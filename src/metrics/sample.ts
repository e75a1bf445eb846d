/**
 * Samples: what producers (fleet clients, write generators, probes) emit. Producers never know how samples
 * are aggregated, stored or shown (house style: producers → samples → sinks → thresholds → outputs).
 */
export interface Sample {
  /** Metric name, one of `MetricName` or a probe's own name. */
  metric: string;
  value: number;
  /** Milliseconds since the epoch. */
  time: number;
  tags?: Record<string, string>;
}

export interface SampleSink {
  add(sample: Sample): void;
}

/** Metric names the toolkit's producers emit. Trends are in milliseconds unless the name says otherwise. */
export const MetricName = {
  /** Fleet: TCP connect to response headers (HTTP) or to first PAYLOAD (WebSocket). */
  connectTime: 'connect_time',
  /** Fleet: stream open to the first checkpoint_complete. */
  firstCheckpoint: 'first_checkpoint',
  /** Fleet: a checkpoint line's arrival to its checkpoint_complete. */
  checkpointLatency: 'checkpoint_latency',
  /** Fleet: source commit of a stamped row to the client holding that row (complete checkpoint). */
  endToEndLatency: 'e2e_latency',
  /** Fleet: stamped rows that reached a client during a phase but were committed before it (not timed). */
  endToEndEarlierRows: 'e2e_earlier_rows',
  /** Fleet: write-checkpoint request to the checkpoint_complete carrying it. */
  writeCheckpointLatency: 'write_checkpoint_latency',
  /** Fleet: counters. */
  bytesReceived: 'bytes_received',
  opsReceived: 'ops_received',
  checkpointsCompleted: 'checkpoints_completed',
  checksumFailures: 'checksum_failures',
  /** Fleet: errors, tagged `code` (PSYNC code, `http_429`, `rejected_setup`, `network`, …). */
  errors: 'errors',
  reconnects: 'reconnects',
  /** Fleet: gauge of open streams. */
  openStreams: 'open_streams',
  /** Writers: commit latency of one source transaction. */
  writeCommit: 'write_commit',
  /** Writers: how late a scheduled transaction started (open-loop schedule lag). */
  writeScheduleLag: 'write_schedule_lag',
  /** Writers: counters of rows written and transactions committed. */
  rowsWritten: 'rows_written',
  transactions: 'transactions',
  /** Writers: scheduled transactions dropped because the generator fell too far behind. */
  droppedWrites: 'dropped_writes',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];
