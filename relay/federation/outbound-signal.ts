/**
 * The in-process wake-up of the forwarder: whoever commits work for the outbound queues (a
 * submission with remote recipients, a forward to carry on, a timeline event to carry back) calls
 * `signalOutbound(store)` after the commit, and the forwarder serving that store starts at once
 * instead of at its next poll. Keyed by the store object because the app and the server resolve
 * their own config objects around the same store. The poll stays as the fallback for what no
 * signal reports: other relay processes on one PostgreSQL database, restarts, backoff timers.
 */
import type { RelayStore } from '../storage/types.js';

const listeners = new WeakMap<RelayStore, Set<() => void>>();

/** Tells the forwarder(s) of `store` in this process that the outbound queues have new work. */
export function signalOutbound(store: RelayStore): void {
  for (const listener of listeners.get(store) ?? []) listener();
}

/** Calls `listener` on every {@link signalOutbound} for `store`; returns the unsubscribe function. */
export function onOutbound(store: RelayStore, listener: () => void): () => void {
  let set = listeners.get(store);
  if (!set) listeners.set(store, (set = new Set()));
  set.add(listener);
  return () => void set.delete(listener);
}
