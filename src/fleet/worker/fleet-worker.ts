/**
 * Entry point of a fleet worker thread: a Fleet whose samples are batched into mergeable aggregates and
 * shipped to the main thread every flush interval (histograms merged, never samples).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Fleet } from '../fleet.js';
import { commandTokenProvider } from '../token-command.js';
import { MetricBatcher } from './metric-batcher.js';
import type { FleetWorkerData, FromWorker, ToWorker } from './worker-messages.js';

const data = workerData as FleetWorkerData;
const port = parentPort!;
const batcher = new MetricBatcher();
const fleet = new Fleet({
  endpoint: data.endpoint,
  auth:
    'tokenCommand' in data.auth ? { tokenProvider: commandTokenProvider(data.auth.tokenCommand) } : data.auth,
  sink: batcher,
  userId: (index) => data.users[(index * data.workers + data.workerIndex) % data.users.length]!,
  maxConcurrentConnects: data.maxConcurrentConnects,
  compression: data.compression,
});

const flush = (final: boolean) => {
  const message: FromWorker = { type: 'metrics', ...batcher.drain(Date.now()), size: fleet.size, final };
  port.postMessage(message);
};
const timer = setInterval(() => flush(false), data.flushIntervalMs);

port.on('message', (message: ToWorker) => {
  if (message.type === 'add')
    fleet.add(message.count, message.transport ? { transport: message.transport } : {});
  else if (message.type === 'remove') fleet.remove(message.count, message.which);
  else if (message.type === 'measureRowsFrom') fleet.measureRowsFrom(message.ms);
  else if (message.type === 'clockOffset') fleet.setClockOffset(message.ms);
  else {
    clearInterval(timer);
    fleet.stopAll();
    flush(true);
    port.close();
  }
});
