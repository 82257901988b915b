import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one HMAC signature Ciclo speaks, both ways: webhook triggers check it on what they receive, alert
 * webhooks put it on what they send. `x-ciclo-signature: sha256=<hex HMAC-SHA256 of the raw body>`.
 */

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
