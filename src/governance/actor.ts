import { AsyncLocalStorage } from 'node:async_hooks';
import { currentUser } from '../common/current-user.js';

/** Who is making the changes in the current call chain, and under which request. */
export interface ActorScope {
  /** A user name (authenticated by the server, or the operating-system user in the CLI). */
  actor: string;
  /** The server's request id; absent outside a request. */
  requestId?: string;
}

const storage = new AsyncLocalStorage<ActorScope>();

/**
 * Runs `fn` with `scope` as the actor of every change it makes (the audit log reads it). The
 * server opens one scope per request; the CLI and the embedded SDK fall back to the OS user.
 */
export function withActor<T>(scope: ActorScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the current call chain; outside any scope, the operating-system user. */
export function currentActor(): ActorScope {
  return storage.getStore() ?? { actor: currentUser() || 'unknown' };
}
