/**
 * The client fleet: simulated sync clients that speak only the protocol (protocol.md §1, service.md §13),
 * so they load the reference service and a real PowerSync deployment alike.
 */
export { Fleet, type FleetOptions, type FleetAddOptions, type FleetSnapshot } from './fleet.js';
export {
  SimulatedClient,
  type ClientIdentity,
  type ClientStats,
  type ClientStatus,
} from './simulated-client.js';
export {
  createClientEnvironment,
  type ClientEnvironment,
  type ClientEnvironmentOptions,
} from './client-environment.js';
export type { ClientAuth, MintedTokenAuth, ProvidedTokenAuth } from './token-source.js';
export {
  TRANSPORTS,
  STREAM_COMPRESSIONS,
  type StreamCompression,
  type Transport,
} from './transport/stream-transport.js';
export { ConnectGate } from './connect-gate.js';
export { bodyDecoderFor, type BodyDecoder } from './transport/body-decoder.js';
export type { BackoffOptions } from './backoff.js';
export { FleetErrorCode, classifyHttpError, classifyRSocketError, psyncCodeOf } from './error-codes.js';
export { FleetRequestError } from './write-checkpoint.js';
export { SyncState, toU32, type CheckpointOutcome } from './sync-state.js';
export { readStamp, STAMP_FIELD } from './pending-stamps.js';
export type { SyncLine, SyncRequestBody, OplogEntry } from './sync-lines.js';
export { WorkerFleet, type MergingSink } from './worker/worker-fleet.js';
export { commandTokenProvider } from './token-command.js';
export type { SyncObserver, SyncObserverFactory } from './sync-observer.js';
export { CLOCK_SKEW_ENV, fleetClock, fromFleetClock } from './fleet-clock.js';
