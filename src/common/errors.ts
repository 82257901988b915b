/**
 * Domain errors. Each carries a stable code (MLflow's codes where MLflow has one) so the server can
 * answer `{error_code, message}` and the CLI can pick an exit code without parsing messages.
 */
export type ErrorCode =
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_PARAMETER_VALUE'
  | 'INVALID_STATE'
  | 'BAD_REQUEST'
  | 'MALFORMED_REQUEST'
  | 'REQUEST_TOO_LARGE'
  | 'ENDPOINT_NOT_FOUND'
  | 'CORRUPT_ARTIFACT'
  | 'CORRUPT_DATASET'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RATE_LIMITED'
  | 'INSUFFICIENT_STORAGE'
  | 'STORE_BUSY'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'ARTIFACT_STORE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export interface ErrorDetails {
  /** Where the bad input is: a field path (`metrics[3].value`), a file:line, a filter column. */
  where?: string;
  /** How to fix it, in one sentence. */
  hint?: string;
}

export class CicloError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('RESOURCE_DOES_NOT_EXIST', message, details);
  }
}

export class AlreadyExistsError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('RESOURCE_ALREADY_EXISTS', message, details);
  }
}

export class InvalidInputError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('INVALID_PARAMETER_VALUE', message, details);
  }
}

export class InvalidStateError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('INVALID_STATE', message, details);
  }
}

export class CorruptArtifactError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('CORRUPT_ARTIFACT', message, details);
  }
}

/** A registered dataset version's stored file no longer matches its digest (or is gone). */
export class CorruptDatasetError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('CORRUPT_DATASET', message, details);
  }
}

/** No credentials, or credentials that are not valid (unknown, tampered, expired, revoked token). */
export class UnauthenticatedError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('UNAUTHENTICATED', message, details);
  }
}

/** A known caller without the role or token scope the action needs. */
export class PermissionDeniedError extends CicloError {
  constructor(message: string, details?: ErrorDetails) {
    super('PERMISSION_DENIED', message, details);
  }
}

/** Too many failed attempts from one address; `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends CicloError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: ErrorDetails,
  ) {
    super('RATE_LIMITED', message, details);
  }
}

/** Which store a storage error is about: the metadata database or the artifact (blob) store. */
export type StoreName = 'metadata' | 'artifacts';

/** The store's disk (or quota) is full: nothing was written; it works again once space is freed. */
export class InsufficientStorageError extends CicloError {
  constructor(
    readonly store: StoreName,
    details: ErrorDetails = {},
  ) {
    super(
      'INSUFFICIENT_STORAGE',
      `the ${store === 'metadata' ? 'metadata store (database)' : 'artifact store'} ` +
        'is out of space: nothing was written',
      {
        hint:
          store === 'metadata'
            ? 'Free space on the disk holding the database (or raise its quota), then retry.'
            : 'Free space on the disk holding the artifact store (or raise its quota), then retry.',
        ...details,
      },
    );
  }
}

/**
 * The metadata store stayed locked by another writer past its lock timeout: nothing was written,
 * and the same request can simply be sent again after `retryAfterSeconds`.
 */
export class StoreBusyError extends CicloError {
  constructor(
    readonly retryAfterSeconds: number,
    details: ErrorDetails = {},
  ) {
    super('STORE_BUSY', 'the metadata store is locked by another writer: nothing was written', {
      hint:
        `Retry in ${retryAfterSeconds} s; ` +
        "a lock held this long is another process's long write (a migration, a bulk import).",
      ...details,
    });
  }
}

/**
 * What answers the request is down for a moment (a model's worker process died and is restarting):
 * this request failed, the same request sent again is served.
 */
export class UnavailableError extends CicloError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('TEMPORARILY_UNAVAILABLE', message, { hint: 'Send the request again.', ...details });
  }
}

/**
 * The artifact store's server could not be used: unreachable, its bucket missing, or the credentials refused.
 * The message names the store and its endpoint; the client library's own error is kept as `cause`.
 */
export class ArtifactStoreUnavailableError extends CicloError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('ARTIFACT_STORE_UNAVAILABLE', message, details);
  }
}

/** Renders an error for people: the message, then where and how to fix it when known. */
export function describeError(error: unknown): string {
  if (!(error instanceof CicloError)) return error instanceof Error ? error.message : String(error);
  const lines = [`${error.code}: ${error.message}`];
  if (error.details.where) lines.push(`  at: ${error.details.where}`);
  if (error.details.hint) lines.push(`  fix: ${error.details.hint}`);
  return lines.join('\n');
}
