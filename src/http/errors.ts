import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CicloError, RateLimitedError, StoreBusyError, type ErrorCode } from '../common/errors.js';

/** The one error body every route answers with; MLflow clients read `error_code` and `message`. */
export interface ErrorBody {
  error_code: ErrorCode;
  message: string;
  where?: string;
  hint?: string;
}

/**
 * MLflow answers RESOURCE_ALREADY_EXISTS with 400 rather than 409, and its clients branch on the
 * code, not the status, so we follow it.
 */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  INVALID_STATE: 400,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  REQUEST_TOO_LARGE: 413,
  ENDPOINT_NOT_FOUND: 404,
  CORRUPT_ARTIFACT: 500,
  CORRUPT_DATASET: 500,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RATE_LIMITED: 429,
  INSUFFICIENT_STORAGE: 507,
  STORE_BUSY: 503,
  TEMPORARILY_UNAVAILABLE: 503,
  ARTIFACT_STORE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

/** Installs the error and not-found handlers on the root instance; every plugin inherits them. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = toErrorResponse(error, request);
    // A storage error's cause is the engine's or the file system's own error (SQLITE_FULL, ENOSPC): the log keeps it.
    if (status >= 500)
      request.log.error({ err: error, ...(error.cause === undefined ? {} : { cause: error.cause }) }, 'request failed');
    else request.log.debug({ code: body.error_code }, body.message);
    if (error instanceof RateLimitedError || error instanceof StoreBusyError)
      void reply.header('retry-after', String(error.retryAfterSeconds));
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="ciclo"');
    return sendError(reply, status, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      error_code: 'ENDPOINT_NOT_FOUND',
      message: `no endpoint ${request.method} ${request.url.split('?')[0]}`,
      hint: 'see GET /api/v1/openapi.json for the routes this server answers',
    }),
  );
}

function sendError(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** Domain errors carry messages written for users; anything else is a bug and is reported without detail. */
export function toErrorResponse(error: FastifyError, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (error instanceof CicloError) {
    const { where, hint } = error.details;
    return {
      status: STATUS_BY_CODE[error.code],
      body: {
        error_code: error.code,
        message: error.message,
        ...(where ? { where } : {}),
        ...(hint ? { hint } : {}),
      },
    };
  }
  if (error.validation && error.validation.length > 0) return validationResponse(error);
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return clientError(
        400,
        'MALFORMED_REQUEST',
        `the request body is not valid JSON (${error.message})`,
        'send one JSON object',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return clientError(
        413,
        'REQUEST_TOO_LARGE',
        'the request body is larger than this server accepts',
        'split the request (for example, smaller log-batch calls)',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return clientError(
        415,
        'BAD_REQUEST',
        `unsupported content type '${request.headers['content-type'] ?? ''}'`,
        'send application/json',
      );
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return clientError(error.statusCode, 'BAD_REQUEST', error.message);
  }
  return { status: 500, body: { error_code: 'INTERNAL_ERROR', message: internalMessage(request) } };
}

/** Schema failures name the field as the service does (`metrics[3].value`), whichever part of the request held it. */
function validationResponse(error: FastifyError): { status: number; body: ErrorBody } {
  const issue = error.validation![0]!;
  const where = fieldPath(issue.instancePath) || (error.validationContext ?? 'input');
  return clientError(400, 'INVALID_PARAMETER_VALUE', `${where}: ${issue.message ?? 'is invalid'}`, undefined, where);
}

function fieldPath(instancePath: string): string {
  let out = '';
  for (const part of instancePath.split('/').filter(Boolean)) {
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

function clientError(status: number, code: ErrorCode, message: string, hint?: string, where?: string) {
  return { status, body: { error_code: code, message, ...(where ? { where } : {}), ...(hint ? { hint } : {}) } };
}

/** Never the error's own message or stack: those can carry paths, SQL or secrets. The id finds it in the log. */
function internalMessage(request: FastifyRequest): string {
  return `internal server error (request ${request.id})`;
}
