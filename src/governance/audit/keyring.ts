import { createHmac, timingSafeEqual } from 'node:crypto';

/** One secret the chain is keyed with; `id` names it in every MAC without revealing it. */
export interface AuditKey {
  id: string;
  secret: Buffer;
}

/**
 * The keys the audit chain is checked with: `current` keys every new row and head; `previous`
 * (newest first) are retired keys whose rows still verify. Neither lives in the database, so
 * someone who can only write to the database cannot produce a valid MAC.
 */
export interface AuditKeyring {
  current: AuditKey;
  previous: readonly AuditKey[];
}

/** What a MAC was checked against: `rank` 0 is the current key, 1 the newest previous key, … */
export type MacCheck = { valid: true; rank: number } | { valid: false; why: string };

const MAC_PATTERN = /^hmac-sha256:([0-9a-f]{16}):([0-9a-f]{64})$/;

export function auditKeyring(current: string, previous: readonly string[] = []): AuditKeyring {
  return { current: auditKey(current), previous: previous.map(auditKey) };
}

function auditKey(text: string): AuditKey {
  const secret = Buffer.from(text, 'utf8');
  return { id: createHmac('sha256', secret).update('ciclo-audit-key-id').digest('hex').slice(0, 16), secret };
}

/** `hmac-sha256:<key id>:<64 hex>` over the message with the key. */
export function macOf(key: AuditKey, message: string): string {
  return `hmac-sha256:${key.id}:${createHmac('sha256', key.secret).update(message).digest('hex')}`;
}

export function checkMac(keyring: AuditKeyring, message: string, mac: string | null): MacCheck {
  if (mac === null) return { valid: false, why: 'carries no MAC' };
  const match = MAC_PATTERN.exec(mac);
  if (match === null) return { valid: false, why: 'carries a malformed MAC' };
  const keys = [keyring.current, ...keyring.previous];
  const rank = keys.findIndex((key) => key.id === match[1]);
  if (rank < 0) return { valid: false, why: `is keyed with a key this process does not hold (${match[1]})` };
  const expected = Buffer.from(macOf(keys[rank]!, message));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given)
    ? { valid: true, rank }
    : { valid: false, why: 'carries a MAC that does not match it' };
}

/** The message a row's MAC covers: its hash, which covers every field and the previous row. */
export function rowMacMessage(hash: string): string {
  return `ciclo-audit-row/1\n${hash}`;
}

/** The message the head's MAC covers: where the chain ends and from which row it is keyed. */
export function headMacMessage(seq: number, hash: string, keyedFrom: number): string {
  return `ciclo-audit-head/1\n${seq}\n${hash}\n${keyedFrom}`;
}
