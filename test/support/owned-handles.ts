import { AsyncResource, createHook } from 'node:async_hooks';

/** Handle kinds a leak check cares about: sockets and timers. */
const WATCHED = new Set(['TCPWRAP', 'Timeout', 'TCPCONNECTWRAP', 'TLSWRAP']);

export interface OwnedHandles {
  /** Runs `fn` so that every async resource it (or anything it starts) creates is owned. */
  run<T>(fn: () => T): T;
  /** Live sockets and timers owned, by kind. */
  live(): Record<string, number>;
  stop(): void;
}

/**
 * Counts the sockets and timers created by one piece of code and everything it triggers, and no
 * others. A whole-process count (`process.getActiveResourcesInfo()`) also sees the service's sockets
 * and timers and the test runner's RPC timers, which come and go on their own schedule, so a
 * "back to the count before" check on it races them.
 */
export function trackOwnedHandles(): OwnedHandles {
  const scope = new AsyncResource('OwnedHandlesScope');
  const owned = new Set<number>([scope.asyncId()]);
  const live = new Map<number, string>();
  const hook = createHook({
    init(asyncId, type, triggerAsyncId) {
      if (!owned.has(triggerAsyncId)) return;
      owned.add(asyncId);
      if (WATCHED.has(type)) live.set(asyncId, type);
    },
    destroy(asyncId) {
      live.delete(asyncId);
      owned.delete(asyncId);
    },
  });
  hook.enable();
  return {
    run: (fn) => scope.runInAsyncScope(fn),
    live() {
      const counts: Record<string, number> = {};
      for (const type of live.values()) counts[type] = (counts[type] ?? 0) + 1;
      return counts;
    },
    stop() {
      hook.disable();
      scope.emitDestroy();
    },
  };
}
