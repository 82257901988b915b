import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

export type WebhookSpec = Extract<TriggerSpec, { type: 'webhook' }>;

export const SIGNATURE_HEADER = 'x-ciclo-signature';
const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=<hex>` of the body, as a caller signs it. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * True when the header is `sha256=<hex HMAC-SHA256 of the raw body>` under the secret. Compared in
 * constant time, so the answer's timing says nothing about how much of a guess was right.
 */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  const match = header === undefined ? null : SIGNATURE.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Webhooks listen through the server's route (routes.ts); the source only describes itself. */
export function webhookSource(context: SourceContext<WebhookSpec>, env: NodeJS.ProcessEnv): TriggerSource {
  const { spec } = context.target;
  return {
    describe: () => {
      const missing = env[spec.secretEnv] ? '' : ` — ${spec.secretEnv} is not set: firings answer 503 until it is`;
      return `POST /api/v1/triggers/${spec.name}/fire signed with $${spec.secretEnv}${missing}`;
    },
    start: async () => undefined,
    stop: async () => undefined,
  };
}
