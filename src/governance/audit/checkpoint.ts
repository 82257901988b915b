import { z } from 'zod';
import { canonicalJson } from '../../common/canonical-json.js';
import { InvalidInputError, InvalidStateError } from '../../common/errors.js';
import { checkMac, macOf, type AuditKeyring } from './keyring.js';
import type { AuditLog } from './log.js';
import type { AuditAnchor } from './verify.js';

const FORMAT = 'ciclo-audit-checkpoint/1';

/**
 * A signed head exported outside the database: the chain's last seq and hash at `time`, with an
 * HMAC under the audit key. A later verify given it finds any rewrite of a row at or before `seq`
 * (every hash covers the one before) and any cut of the tail below it, even one that recomputed
 * every hash and MAC-less field: the checkpoint's hash cannot be changed without the key.
 */
export interface AuditCheckpoint {
  format: typeof FORMAT;
  seq: number;
  hash: string;
  time: number;
  mac: string;
}

const CheckpointSchema = z.strictObject({
  format: z.literal(FORMAT),
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  time: z.number().int().nonnegative(),
  mac: z.string(),
});

function checkpointMessage(seq: number, hash: string, time: number): string {
  return canonicalJson({ format: FORMAT, seq, hash, time });
}

/**
 * Appends an `audit.checkpoint` row (so the chain records that a checkpoint left it, and a chain
 * that was not keyed yet is keyed from here) and returns the signed head that includes it.
 */
export async function createCheckpoint(
  audit: AuditLog,
  destination: 'file' | 'webhook',
  now = Date.now(),
): Promise<AuditCheckpoint> {
  const keyring = audit.keyring;
  if (keyring === undefined) {
    throw new InvalidStateError('a checkpoint is signed with the audit key, and CICLO_AUDIT_KEY is not set', {
      where: 'CICLO_AUDIT_KEY',
      hint: 'set CICLO_AUDIT_KEY to a secret of at least 32 characters (README: Audit log)',
    });
  }
  const row = await audit.append({
    action: 'audit.checkpoint',
    target: { type: 'audit', id: '' },
    details: { destination },
    time: now,
  });
  return {
    format: FORMAT,
    seq: row.seq,
    hash: row.hash,
    time: now,
    mac: macOf(keyring.current, checkpointMessage(row.seq, row.hash, now)),
  };
}

/** Reads a checkpoint and checks its MAC; `source` (a file name) is what errors point at. */
export function readCheckpoint(text: string, keyring: AuditKeyring | undefined, source: string): AuditAnchor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`${source} is not JSON`, {
      where: source,
      hint: 'pass a file written by `ciclo audit checkpoint --out`',
    });
  }
  const parsed = CheckpointSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidInputError(
      `${source} is not an audit checkpoint ` +
        `(${parsed.error.issues[0]!.path.join('.') || 'format'}: ${parsed.error.issues[0]!.message})`,
      {
        where: source,
        hint: 'pass a file written by `ciclo audit checkpoint --out`',
      },
    );
  }
  if (keyring === undefined) {
    throw new InvalidStateError(`${source} is signed with the audit key, and CICLO_AUDIT_KEY is not set`, {
      where: 'CICLO_AUDIT_KEY',
      hint: 'set CICLO_AUDIT_KEY to check it',
    });
  }
  const checkpoint = parsed.data;
  const mac = checkMac(keyring, checkpointMessage(checkpoint.seq, checkpoint.hash, checkpoint.time), checkpoint.mac);
  if (!mac.valid) {
    throw new InvalidInputError(
      `${source} ${mac.why}: it was altered, or signed with a key this process does not hold`,
      {
        where: source,
        hint: 'use the checkpoint as it was exported, with the key (or previous keys) it was signed with',
      },
    );
  }
  return { seq: checkpoint.seq, hash: checkpoint.hash, source: `checkpoint ${source}` };
}

/** POSTs the checkpoint as JSON; a non-2xx answer or no answer within 10 s is an error. */
export async function sendCheckpoint(url: string, checkpoint: AuditCheckpoint): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(checkpoint),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new InvalidStateError(`the checkpoint webhook ${url} could not be reached: ${(error as Error).message}`, {
      where: url,
      hint: 'check the URL and that it accepts POST',
    });
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new InvalidStateError(`the checkpoint webhook ${url} answered ${response.status}`, {
      where: url,
      hint: 'the checkpoint row is in the chain; export again once the webhook accepts it',
    });
  }
}
