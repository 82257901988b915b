import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { InsufficientStorageError, StoreBusyError, type CicloError, type StoreName } from '../common/errors.js';

/** What a client refused with STORE_BUSY waits before sending the same request again (Retry-After). */
export const STORE_BUSY_RETRY_SECONDS = 1;

/**
 * The database errors that are about the store rather than the request, as domain errors: a full
 * disk (SQLite's SQLITE_FULL, PostgreSQL's 53100 disk_full) and a lock not granted in time
 * (SQLite's SQLITE_BUSY* once busy_timeout has passed, PostgreSQL's 55P03 lock_not_available once
 * lock_timeout has). In both cases the statement, and with it the transaction, changed nothing.
 * The database's own error stays as `cause`, for the server log.
 */
export function storeErrorOf(error: unknown): CicloError | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  let translated: CicloError | undefined;
  if (code === 'SQLITE_FULL' || code === '53100') translated = new InsufficientStorageError('metadata');
  else if (code.startsWith('SQLITE_BUSY') || code === '55P03')
    translated = new StoreBusyError(STORE_BUSY_RETRY_SECONDS);
  if (translated !== undefined) translated.cause = error;
  return translated;
}

/** A file-system write that found the disk or the quota full (ENOSPC, EDQUOT), as INSUFFICIENT_STORAGE of `store`. */
export function fileStoreErrorOf(error: unknown, store: StoreName): CicloError | undefined {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  const translated = new InsufficientStorageError(store);
  translated.cause = error;
  return translated;
}

/**
 * The dialect with every database error passed through `storeErrorOf`, whichever query, commit or
 * stream raised it: callers everywhere (server, CLI, embedded SDK) see INSUFFICIENT_STORAGE and
 * STORE_BUSY rather than an engine's codes. The adapter is the inner one, so `dialectOf` still works.
 */
export function translatingStoreErrors(dialect: Dialect): Dialect {
  return {
    createDriver: () => new TranslatingDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

class TranslatingDriver implements Driver {
  readonly #inner: Driver;
  // The inner driver gets its own connections back: PostgreSQL's releases and discards through them.
  readonly #inners = new WeakMap<DatabaseConnection, DatabaseConnection>();
  // One wrapper per pooled connection, made once: Kysely acquires a connection for every query.
  readonly #wrappers = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return translated(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await translated(() => this.#inner.acquireConnection());
    let connection = this.#wrappers.get(inner);
    if (connection === undefined) {
      connection = {
        executeQuery: <R>(query: CompiledQuery) => translated(() => inner.executeQuery<R>(query)),
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number) =>
          translatedStream(inner.streamQuery<R>(query, chunkSize)),
      };
      this.#wrappers.set(inner, connection);
      this.#inners.set(connection, inner);
    }
    return connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return translated(() => this.#inner.beginTransaction(this.#innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(() => this.#inner.commitTransaction(this.#innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(() => this.#inner.rollbackTransaction(this.#innerOf(connection)));
  }

  savepoint(...[connection, ...rest]: Parameters<NonNullable<Driver['savepoint']>>): Promise<void> {
    return translated(() => this.#innerMethod('savepoint').call(this.#inner, this.#innerOf(connection), ...rest));
  }

  rollbackToSavepoint(...[connection, ...rest]: Parameters<NonNullable<Driver['rollbackToSavepoint']>>): Promise<void> {
    return translated(() =>
      this.#innerMethod('rollbackToSavepoint').call(this.#inner, this.#innerOf(connection), ...rest),
    );
  }

  releaseSavepoint(...[connection, ...rest]: Parameters<NonNullable<Driver['releaseSavepoint']>>): Promise<void> {
    return translated(() =>
      this.#innerMethod('releaseSavepoint').call(this.#inner, this.#innerOf(connection), ...rest),
    );
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(this.#innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }

  #innerOf(connection: DatabaseConnection): DatabaseConnection {
    const inner = this.#inners.get(connection);
    if (inner === undefined) throw new Error('a connection this driver did not hand out');
    return inner;
  }

  #innerMethod<K extends 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint'>(name: K): NonNullable<Driver[K]> {
    const method = this.#inner[name];
    if (method === undefined) throw new Error(`the ${name} command is not supported by this dialect`);
    return method;
  }
}

/**
 * Not an async function: one `catch` is the whole cost on a query's path (SQLite's driver can also throw
 * synchronously).
 */
function translated<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run().catch(rethrowTranslated);
  } catch (error) {
    return Promise.reject(storeErrorOf(error) ?? error);
  }
}

function rethrowTranslated(error: unknown): never {
  throw storeErrorOf(error) ?? error;
}

async function* translatedStream<R>(
  stream: AsyncIterableIterator<QueryResult<R>>,
): AsyncIterableIterator<QueryResult<R>> {
  try {
    yield* stream;
  } catch (error) {
    throw storeErrorOf(error) ?? error;
  }
}
