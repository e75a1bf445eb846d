import type { RawData, WebSocket } from 'ws';
import { RSocketConnection } from './rsocket-connection.js';
import type { RSocketConnectionOptions } from './rsocket-options.js';

const connections = new WeakMap<WebSocket, RSocketConnection>();

// Shared listeners (`this` is the socket): no closures per connection.
function onMessage(this: WebSocket, data: RawData): void {
  connections.get(this)?.onMessage(toBuffer(data));
}

function onClose(this: WebSocket): void {
  connections.get(this)?.onClose();
  connections.delete(this);
}

/** `ws` emits 'close' after 'error'; without a listener the error would be thrown. */
function onError(this: WebSocket, error: Error): void {
  connections.get(this)?.onSocketError(error);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Serves the sync stream over RSocket on an accepted WebSocket (protocol.md §1.9). The socket is closed when
 * SETUP is rejected, keepalives stop, the client errors the connection, or `shutdownSignal` aborts.
 */
export function handleRSocketConnection(ws: WebSocket, options: RSocketConnectionOptions): void {
  const connection = new RSocketConnection(ws, options);
  connections.set(ws, connection);
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);
}
