import { randomBytes } from 'node:crypto';
import { sha256Digest } from '../../artifacts/index.js';

/** `ciclo_` marks the string as ours for secret scanners; 32 random bytes are the 256-bit secret. */
const PREFIX = 'ciclo_';
const SECRET_BYTES = 32;

export interface NewTokenSecret {
  /** Public: listed, used to revoke. */
  id: string;
  /** Shown once, never stored. */
  secret: string;
  /** What the store keeps. */
  hash: string;
}

export function newTokenSecret(): NewTokenSecret {
  const secret = `${PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
  return { id: randomBytes(6).toString('hex'), secret, hash: hashTokenSecret(secret) };
}

/**
 * A plain sha256 is enough: the secret is 256 random bits, so there is nothing to guess that a slow
 * hash would protect (unlike a password).
 */
export function hashTokenSecret(secret: string): string {
  return sha256Digest(secret);
}

/** Well-formed before any lookup: anything else is refused without touching the store. */
export function looksLikeTokenSecret(value: string): boolean {
  return value.startsWith(PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(PREFIX.length));
}
