/** Something to stop when a shutdown signal aborts. */
export interface Stoppable {
  shutdown(): void;
}

/**
 * One abort listener per shutdown signal instead of one per connection: thousands of listeners on one
 * AbortSignal cost memory and trigger MaxListenersExceeded warnings.
 */
const registered = new WeakMap<AbortSignal, Set<Stoppable>>();

function onShutdown(this: AbortSignal): void {
  const members = registered.get(this);
  registered.delete(this);
  for (const member of members ?? []) member.shutdown();
}

/** Calls `member.shutdown()` when `signal` aborts (immediately if it already has). */
export function registerForShutdown(signal: AbortSignal, member: Stoppable): void {
  if (signal.aborted) {
    member.shutdown();
    return;
  }
  let members = registered.get(signal);
  if (members === undefined) {
    members = new Set();
    registered.set(signal, members);
    signal.addEventListener('abort', onShutdown, { once: true });
  }
  members.add(member);
}

export function unregisterForShutdown(signal: AbortSignal, member: Stoppable): void {
  registered.get(signal)?.delete(member);
}

/** Members waiting on `signal` (a leak check: it returns to its idle value when streams close). */
export function registeredForShutdown(signal: AbortSignal): number {
  return registered.get(signal)?.size ?? 0;
}
