/// <reference types="k6" />
/**
 * The k6 script `syncscale export k6` writes: each virtual user is one simulated client of the scenario,
 * holding one RSocket-over-WebSocket sync stream (request-N credit, keepalives, checksum validation) for as
 * long as the scenario's stages keep it, under the fleet's metric names so `syncscale ingest` can turn the
 * pods' outputs into a syncscale run. Typed with @types/k6; compiled by `npm run build`.
 */
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import ws from 'k6/ws';
import type { K6Config } from './k6-config.js';
import { RSocketSyncSession, SESSION_METRICS, signToken, type SessionSink } from './rsocket-session.js';

const config = JSON.parse(open('./config.json')) as K6Config;

export const options = {
  scenarios: {
    sync_clients: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: config.stages,
      gracefulRampDown: '5s',
    },
  },
  // Every sample carries the scenario's identity: `syncscale ingest` refuses pods of different scenarios.
  tags: { syncscale_scenario: config.scenario, syncscale_hash: config.scenarioHash },
};

const trends = new Map<string, Trend>();
const counters = new Map<string, Counter>();
for (const name of [
  SESSION_METRICS.connectTime,
  SESSION_METRICS.firstCheckpoint,
  SESSION_METRICS.checkpointLatency,
  SESSION_METRICS.endToEndLatency,
])
  trends.set(name, new Trend(name, true));
for (const name of [
  SESSION_METRICS.opsReceived,
  SESSION_METRICS.checkpointsCompleted,
  SESSION_METRICS.checksumFailures,
  SESSION_METRICS.bytesReceived,
  SESSION_METRICS.errors,
])
  counters.set(name, new Counter(name));

const sink: SessionSink = {
  trend: (metric, valueMs) => trends.get(metric)?.add(valueMs),
  count: (metric, value, tags) => counters.get(metric)?.add(value, tags),
};

const secret = config.key ? encoding.b64decode(config.key.k, 'rawurl') : undefined;

/** The user's token: from the exported list, or signed here with the deployment's HS256 key. */
function tokenFor(index: number): string {
  if (config.tokens?.length) return config.tokens[index % config.tokens.length]!;
  return signToken({
    sub: `${config.userPrefix}${index}`,
    audience: config.key!.audience,
    kid: config.key!.kid,
    lifetimeSeconds: config.tokenLifetimeSeconds,
    nowSeconds: Date.now() / 1000,
    hmacSha256: (input) => new Uint8Array(crypto.hmac('sha256', secret!, input, 'binary')),
  });
}

export default function (): void {
  // idInTest is unique across every pod of a distributed test: one user per virtual user.
  const index = (exec.vu.idInTest - 1) % config.users;
  const token = tokenFor(index);
  // Hold the stream until the scenario ends; a ramp-down interrupts the VU earlier.
  const holdMs = Math.max(1000, config.totalMs - (Date.now() - exec.scenario.startTime));
  ws.connect(config.websocketUrl, {}, (socket) => {
    const session = new RSocketSyncSession(
      { sendBinary: (frame) => socket.sendBinary(frame), close: () => socket.close() },
      sink,
      {
        token,
        clientId: `k6-${exec.vu.idInTest}-${exec.vu.iterationInScenario}`,
        now: () => Date.now(),
        stampColumn: config.stampColumn,
      },
    );
    socket.on('open', () => {
      session.open();
      socket.setInterval(() => session.keepalive(), 20_000);
      socket.setTimeout(() => socket.close(), holdMs);
    });
    socket.on('binaryMessage', (message) => session.onBinary(message));
    socket.on('close', () => session.onClose());
    socket.on('error', () => sink.count(SESSION_METRICS.errors, 1, { code: 'network' }));
  });
}
