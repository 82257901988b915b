/**
 * The HTTP kit every capability's routes share: the `/api/v1` wire conventions, query-string and raw-body
 * parsing, the security headers of a served file and the error answer (a domain error's status and body, which
 * the scoring routes also write in the Open Inference Protocol's shape). It imports nothing but `common/`, so any
 * capability may use it without tying itself to the server that mounts it; what a route may touch is declared
 * with governance's `access` (src/governance/access/route-access.ts).
 */
export { installErrorHandlers, toErrorResponse, type ErrorBody } from './errors.js';
export { QueryInt, QueryList } from './query.js';
export { MAX_ARTIFACT_BYTES, RawBytes, acceptRawBodies } from './raw-body.js';
export { attachmentDisposition, installSecurityHeaders } from './security-headers.js';
export { NoBody, NoContent, pageReply, pageToWire } from './wire.js';
