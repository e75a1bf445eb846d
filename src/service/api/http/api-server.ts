import http from 'node:http';
import { WebSocketServer } from 'ws';
import {
  chooseSyncContentType,
  encodeBsonLine,
  encodeNdjsonLine,
  NDJSON_CONTENT_TYPE,
} from '../../../protocol/index.js';
import { ServiceError } from '../../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { Probes } from '../../runner/probes.js';
import type { ApiMetrics } from '../metrics/api-metrics.js';
import {
  SharedLine,
  type LineSink,
  type SyncStreamRunner,
  type VerifiedToken,
} from '../sync/stream-types.js';
import { readJsonBody, sendError, sendJson } from './json-response.js';
import { validateSyncRequest } from './validate-request.js';
import { GzipSegments } from './gzip-segments.js';
import { registerForShutdown, unregisterForShutdown } from '../shutdown-registry.js';

export interface ApiServerOptions {
  authenticate: (authorization: string | undefined) => Promise<VerifiedToken>;
  runStream: SyncStreamRunner;
  createWriteCheckpoint: (userKey: string) => Promise<bigint>;
  /** Whether a sync config is active (may re-read storage when none is known yet). */
  hasActiveSyncConfig: () => boolean | Promise<boolean>;
  probes: Probes;
  metrics: ApiMetrics;
  maxConcurrentConnections: number;
  /** Offer gzip when the client accepts it. */
  compression: boolean;
  /** Handles a WebSocket (RSocket) connection; omitted = upgrades refused. */
  /** A WebSocket upgrade; `socket` is its TCP socket (corked while a stream holds a checkpoint's frames). */
  onWebSocket?: (ws: import('ws').WebSocket, socket: import('node:stream').Duplex) => void;
  shutdownSignal: AbortSignal;
  log: Logger;
}

/**
 * The sync API's HTTP surface (protocol.md §1.1): `/sync/stream`, `/write-checkpoint2.json`, the probes,
 * JSON errors with PSYNC codes, and WebSocket upgrades on any path. Built apart from `listen` so tests and
 * the runner choose the address.
 */
export function createApiServer(options: ApiServerOptions): http.Server {
  let activeHttpStreams = 0;
  const server = http.createServer((req, res) => {
    void route(req, res).catch((error: unknown) => sendError(res, error));
  });
  // Streams are long-lived; Node's default request timeouts would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (
      req.method === 'GET' &&
      url.pathname.startsWith('/probes/') &&
      options.probes.handle(url.pathname, res)
    )
      return;
    if (url.pathname === '/sync/stream' && req.method === 'POST') return syncStream(req, res);
    if (url.pathname === '/write-checkpoint2.json' && req.method === 'GET')
      return writeCheckpoint(req, res, url);
    throw new ServiceError(
      'PSYNC_S2002',
      `The path does not exist on this server: ${req.method} ${url.pathname}`,
    );
  }

  async function syncStream(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Validation comes before authorization, as in the real service.
    const request = validateSyncRequest(await readJsonBody(req));
    if (options.shutdownSignal.aborted)
      throw new ServiceError('PSYNC_S2003', 'Service temporarily unavailable');
    const token = await options.authenticate(req.headers.authorization);
    if (!(await options.hasActiveSyncConfig()))
      throw new ServiceError('PSYNC_S2302', 'No sync config available');
    if (activeHttpStreams >= options.maxConcurrentConnections) {
      // The real service's request queue overflows with an empty 429.
      res.writeHead(429, { 'Content-Length': 0 });
      res.end();
      return;
    }
    activeHttpStreams++;
    options.metrics.connectionOpened();
    const contentType = chooseSyncContentType(req.headers.accept);
    const ndjson = contentType === NDJSON_CONTENT_TYPE;
    const gzip = options.compression && acceptsGzip(req.headers['accept-encoding']);
    res.writeHead(200, {
      'Content-Type': contentType,
      'X-Accel-Buffering': 'no',
      'Cache-Control': 'no-cache',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.flushHeaders();
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.on('close', onClose);
    const onShutdown = { shutdown: () => abort.abort() };
    registerForShutdown(options.shutdownSignal, onShutdown);
    // gzip with one fresh compressor per event-loop turn (gzip-segments.ts): an idle stream holds none.
    const members = gzip ? new GzipSegments(res, (n) => options.metrics.bytesSent(n)) : undefined;
    // Lines held by the stream (LineSink.hold) leave together once released, or once this many bytes wait:
    // a corked socket sends them in one write, without copying them into one buffer first.
    let held: Buffer[] | undefined;
    let heldBytes = 0;
    const send = (lines: Buffer[]): Promise<void> | undefined => {
      if (abort.signal.aborted || res.destroyed) return undefined;
      let ready = true;
      if (members) {
        for (let i = 0; i < lines.length; i++) ready = members.write(lines[i]!, i === lines.length - 1);
      } else {
        if (lines.length > 1) res.cork();
        for (const bytes of lines) {
          options.metrics.bytesSent(bytes.length);
          ready = res.write(bytes);
        }
        if (lines.length > 1) res.uncork();
      }
      return ready ? undefined : waitForDrain(res, abort.signal);
    };
    const sink: LineSink = {
      write: (line) => {
        if (abort.signal.aborted || res.destroyed) return undefined;
        const bytes =
          line instanceof SharedLine
            ? ndjson
              ? line.ndjson()
              : line.bson()
            : ndjson
              ? Buffer.from(encodeNdjsonLine(line), 'utf8')
              : encodeBsonLine(line);
        options.metrics.bytesSynced(bytes.length);
        if (!held) return send([bytes]);
        held.push(bytes);
        heldBytes += bytes.length;
        if (heldBytes < MAX_HELD_BYTES) return undefined;
        const out = held;
        held = [];
        heldBytes = 0;
        return send(out);
      },
      hold: () => {
        held ??= [];
      },
      release: () => {
        const out = held;
        held = undefined;
        heldBytes = 0;
        return out && out.length > 0 ? send(out) : undefined;
      },
    };
    try {
      await options.runStream({
        token,
        request,
        transport: 'http',
        legacyData: ndjson && request.raw_data !== true,
        signal: abort.signal,
        sink,
      });
      members?.end();
      res.end();
    } catch (error) {
      // Mid-stream errors are not reported in-band over HTTP: the stream is cut and the client reconnects.
      if (!abort.signal.aborted)
        options.log.warn(`Sync stream of ${token.sub} failed: ${(error as Error).message}`);
      res.destroy();
    } finally {
      activeHttpStreams--;
      options.metrics.connectionClosed();
      res.off('close', onClose);
      unregisterForShutdown(options.shutdownSignal, onShutdown);
    }
  }

  async function writeCheckpoint(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
  ): Promise<void> {
    const token = await options.authenticate(req.headers.authorization);
    const clientId = url.searchParams.get('client_id');
    const userKey = clientId ? `${token.sub}/${clientId}` : token.sub;
    const value = await options.createWriteCheckpoint(userKey);
    sendJson(res, 200, { data: { write_checkpoint: value.toString() } });
  }

  if (options.onWebSocket) {
    const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => options.onWebSocket!(ws, socket));
    });
  } else {
    server.on('upgrade', (_req, socket) => socket.destroy());
  }
  return server;
}

/** Held lines are sent once this many bytes are waiting, so holding never buffers a whole initial sync. */
const MAX_HELD_BYTES = 64 * 1024;

function waitForDrain(out: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    signal.addEventListener('abort', done);
  });
}

/** True when Accept-Encoding lists gzip (or *) with a non-zero q. */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}
