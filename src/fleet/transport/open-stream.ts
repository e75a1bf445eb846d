import { HttpSyncStream } from './http-stream.js';
import { RSocketSyncStream } from './rsocket-stream.js';
import type { StreamConnection, StreamHandler, StreamRequest, Transport } from './stream-transport.js';

/** Opens one sync stream over the chosen transport. */
export function openStream(
  transport: Transport,
  request: StreamRequest,
  handler: StreamHandler,
): StreamConnection {
  switch (transport) {
    case 'http-ndjson':
      return new HttpSyncStream(request, false, handler);
    case 'http-bson':
      return new HttpSyncStream(request, true, handler);
    case 'websocket':
      return new RSocketSyncStream(request, handler);
  }
}
