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

/** Renders an error for people: the message, then where and how to fix it when known. */
export function describeError(error: unknown): string {
  if (!(error instanceof CicloError)) return error instanceof Error ? error.message : String(error);
  const lines = [`${error.code}: ${error.message}`];
  if (error.details.where) lines.push(`  at: ${error.details.where}`);
  if (error.details.hint) lines.push(`  fix: ${error.details.hint}`);
  return lines.join('\n');
}
