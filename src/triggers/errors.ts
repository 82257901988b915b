/**
 * Refusals of a webhook firing that have no domain error code (src/common/errors.ts): the route
 * answers them with their own status and stable code.
 * - 401 INVALID_SIGNATURE: `X-Ciclo-Signature` is missing, malformed or does not match the body.
 * - 503 WEBHOOK_SECRET_MISSING: the server has no secret to check against (its `secretEnv` variable
 *   is unset or empty). A server-side configuration problem, not the caller's; nothing fires
 *   unverified, and the caller may retry once the server is configured.
 */
export type WebhookRefusalCode = 'INVALID_SIGNATURE' | 'WEBHOOK_SECRET_MISSING';

export class WebhookRefusedError extends Error {
  constructor(
    readonly code: WebhookRefusalCode,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): 401 | 503 {
    return this.code === 'INVALID_SIGNATURE' ? 401 : 503;
  }
}
