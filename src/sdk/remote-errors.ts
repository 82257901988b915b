import {
  AlreadyExistsError,
  CicloError,
  CorruptArtifactError,
  CorruptDatasetError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  type ErrorCode,
  type ErrorDetails,
} from '../common/errors.js';

/** The server's error answer: `{error_code, message, where?, hint?}`. */
interface ErrorBody {
  error_code?: string;
  message?: string;
  where?: string;
  hint?: string;
}

const ERROR_CLASSES: Partial<Record<ErrorCode, new (message: string, details?: ErrorDetails) => CicloError>> = {
  RESOURCE_DOES_NOT_EXIST: NotFoundError,
  RESOURCE_ALREADY_EXISTS: AlreadyExistsError,
  INVALID_PARAMETER_VALUE: InvalidInputError,
  INVALID_STATE: InvalidStateError,
  CORRUPT_ARTIFACT: CorruptArtifactError,
  CORRUPT_DATASET: CorruptDatasetError,
  UNAUTHENTICATED: UnauthenticatedError,
  PERMISSION_DENIED: PermissionDeniedError,
};

const KNOWN_CODES = new Set<string>([
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'INVALID_PARAMETER_VALUE',
  'INVALID_STATE',
  'BAD_REQUEST',
  'MALFORMED_REQUEST',
  'REQUEST_TOO_LARGE',
  'ENDPOINT_NOT_FOUND',
  'CORRUPT_ARTIFACT',
  'CORRUPT_DATASET',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'RATE_LIMITED',
  'INSUFFICIENT_STORAGE',
  'STORE_BUSY',
  'TEMPORARILY_UNAVAILABLE',
  'ARTIFACT_STORE_UNAVAILABLE',
  'INTERNAL_ERROR',
] satisfies ErrorCode[]);

/**
 * Rebuilds the domain error the server's service threw, so `instanceof NotFoundError` works the same
 * against a server as against the embedded store.
 */
export async function errorFromResponse(response: Response, what: string): Promise<CicloError> {
  const body = await readErrorBody(response);
  const message = body.message ?? `${what} failed with HTTP ${response.status}`;
  const details: ErrorDetails = {
    ...(body.where ? { where: body.where } : {}),
    ...(body.hint ? { hint: body.hint } : {}),
  };
  const code = KNOWN_CODES.has(body.error_code ?? '') ? (body.error_code as ErrorCode) : codeForStatus(response.status);
  const ErrorClass = ERROR_CLASSES[code];
  return ErrorClass ? new ErrorClass(message, details) : new CicloError(code, message, details);
}

async function readErrorBody(response: Response): Promise<ErrorBody> {
  const text = await response.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') return parsed;
  } catch {
    // Not JSON: a proxy's HTML page or a plain-text error; keep its first line as the message.
  }
  const firstLine = text.trim().split('\n')[0];
  return firstLine ? { message: `HTTP ${response.status}: ${firstLine.slice(0, 300)}` } : {};
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 409) return 'RESOURCE_ALREADY_EXISTS';
  if (status === 413) return 'REQUEST_TOO_LARGE';
  if (status >= 400 && status < 500) return 'BAD_REQUEST';
  return 'INTERNAL_ERROR';
}

/** What fetch reports as a bare "fetch failed", said with the server's address and the cause (refused, reset, …). */
export function unreachable(base: string, error: unknown): Error {
  const cause = (error as { cause?: unknown }).cause;
  const reason = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return new Error(`cannot reach the Ciclo server at ${base.replace(/\/api\/v1$/, '')}: ${reason}`, { cause: error });
}
