/** Shared parts of the benchmarks, by concern. Benchmarks import from here. */
export { clientFootprint, fitLine, loadAverage, median, percentile, sleep, table } from './stats.js';
export { installGuards, onCleanup, runCleanups } from './cleanup.js';
export { reportServiceLog, ServiceChild, type LogLine } from './service-child.js';
export { LIST_ROWS, startEnvironment, SYNC_CONFIG, type BenchEnvironment } from './environment.js';
export { postgresCpuSeconds, postmasterPidOf, scrapeMetrics } from './proc-readings.js';
export { AUDIENCE, tokenFor } from './tokens.js';
export { dropped, IdleStreamBase, openClients, type IdleStream } from './idle-stream.js';
export { openStreams, StreamClient } from './http-stream-client.js';
export { WsStreamClient } from './ws-stream-client.js';
