import http from 'node:http';
import https from 'node:https';
import { BsonStreamDecoder, NdjsonDecoder, BSON_STREAM_CONTENT_TYPE } from '../../protocol/index.js';
import { classifyHttpError, FleetErrorCode } from '../error-codes.js';
import { bodyDecoderFor, type BodyDecoder } from './body-decoder.js';
import type { SyncLine } from '../sync-lines.js';
import {
  endpointUrl,
  type StreamConnection,
  type StreamHandler,
  type StreamCompression,
  type StreamRequest,
} from './stream-transport.js';

/** Request headers per compression mode; `sdk` is what `@powersync/node` sends through undici's fetch. */
const COMPRESSION_HEADERS: Record<StreamCompression, Record<string, string>> = {
  sdk: {
    'Accept-Encoding': 'gzip, deflate, br',
    'X-User-Agent': 'powersync-js/1.1.0 powersync-node syncscale-fleet',
    'Accept-Language': '*',
    'Sec-Fetch-Mode': 'cors',
  },
  gzip: { 'Accept-Encoding': 'gzip' },
  none: {},
};

/** What current SDKs send (protocol.md §1.2): BSON preferred, NDJSON accepted. */
export const SDK_ACCEPT = 'application/vnd.powersync.bson-stream;q=0.9,application/x-ndjson;q=0.8';
const NDJSON_ACCEPT = 'application/x-ndjson';
/** Error bodies are read up to this size (a JSON error is small; anything bigger is not ours). */
const MAX_ERROR_BODY = 16 * 1024;

/**
 * `POST /sync/stream` over HTTP/1.1 (protocol.md §1.2–1.3): NDJSON or, with `bson`, the SDKs' Accept header
 * and whatever framing the server chose. Non-200 responses become an `errors` code from their JSON body.
 */
export class HttpSyncStream implements StreamConnection {
  private finished = false;
  private readonly request: http.ClientRequest;
  private response: http.IncomingMessage | undefined;
  private decoder: NdjsonDecoder<SyncLine> | BsonStreamDecoder<SyncLine> | undefined;
  private errorBody = '';
  private decompressor: BodyDecoder | undefined;

  constructor(
    options: StreamRequest,
    bson: boolean,
    private readonly handler: StreamHandler,
  ) {
    const url = endpointUrl(options.endpoint, 'sync/stream');
    const body = JSON.stringify(options.body);
    const client = url.protocol === 'https:' ? https : http;
    this.request = client.request(url, {
      method: 'POST',
      agent: options.agent,
      timeout: options.connectTimeoutMs,
      headers: {
        Authorization: `Token ${options.token}`,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        Accept: bson ? SDK_ACCEPT : NDJSON_ACCEPT,
        'User-Agent': options.userAgent,
        ...COMPRESSION_HEADERS[options.compression ?? 'sdk'],
      },
    });
    this.request.on('response', (response) => this.onResponse(response));
    this.request.on('timeout', () => this.fail(FleetErrorCode.timeout, 'no response in time'));
    this.request.on('error', (error) => this.fail(FleetErrorCode.network, error.message));
    this.request.end(body);
  }

  close(): void {
    this.finished = true;
    this.request.destroy();
    this.decompressor?.destroy();
  }

  drop(): void {
    this.request.socket?.destroy();
    this.fail(FleetErrorCode.network, 'connection dropped');
  }

  private onResponse(response: http.IncomingMessage): void {
    if (this.finished) return;
    this.response = response;
    // The connect timeout ends with the headers: an open stream holds no timer (silence is the fleet's watchdog).
    this.request.setTimeout(0);
    response.on('error', () => undefined); // reported through 'close'
    response.on('close', () => {
      // A compressed body's last lines (a final token_expires_in: 0) are delivered by the decoder's end, and
      // must be handled before the end of the stream is.
      if (this.decompressor && response.complete) this.decompressor.end(() => this.onResponseClosed());
      else this.onResponseClosed();
    });
    if (response.statusCode !== 200) {
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        if (this.errorBody.length < MAX_ERROR_BODY) this.errorBody += text;
      });
      return;
    }
    const type = response.headers['content-type'] ?? '';
    this.decoder = type.startsWith(BSON_STREAM_CONTENT_TYPE)
      ? new BsonStreamDecoder<SyncLine>()
      : new NdjsonDecoder<SyncLine>();
    // Bytes received count what crossed the wire; lines are decoded from the decompressed body.
    const encoding = response.headers['content-encoding'];
    const decompressor = bodyDecoderFor(encoding, {
      onData: (bytes) => this.onChunk(bytes, false),
      onError: (error) => this.fail(FleetErrorCode.protocol, `bad ${encoding} body: ${error.message}`),
    });
    this.decompressor = decompressor;
    response.on('data', (chunk: Buffer) => {
      if (!decompressor) return this.onChunk(chunk, true);
      this.handler.onBytes(chunk.length);
      decompressor.push(chunk);
    });
    this.handler.onOpen();
  }

  private onChunk(chunk: Uint8Array, countBytes: boolean): void {
    if (this.finished) return;
    if (countBytes) this.handler.onBytes(chunk.length);
    let lines: SyncLine[];
    try {
      lines = this.decoder!.push(chunk);
    } catch (error) {
      this.fail(FleetErrorCode.protocol, (error as Error).message);
      this.request.destroy();
      return;
    }
    for (let i = 0; i < lines.length && !this.finished; i++) this.handler.onLine(lines[i]!);
  }

  private onResponseClosed(): void {
    const response = this.response!;
    if (response.statusCode !== 200) {
      this.fail(classifyHttpError(response.statusCode ?? 0, this.errorBody), this.errorBody.slice(0, 500));
    } else if (response.complete) {
      this.fail(FleetErrorCode.streamEnded, 'the server ended the stream');
    } else {
      this.fail(FleetErrorCode.network, 'the stream was cut');
    }
  }

  private fail(code: string, detail: string): void {
    if (this.finished) return;
    this.finished = true;
    this.request.destroy();
    this.decompressor?.destroy();
    this.handler.onFailure(code, detail);
  }
}
