import { InvalidArgumentError } from 'commander';

/** Commander option parsers shared by the commands; a bad value exits 2 with the flag named. */

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be 0 or more');
  return n;
}

/** For a repeatable option: every occurrence, in order. */
export function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const DURATION = /^(\d+)\s*(m|h|d)$/;
const MS_PER_UNIT = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MIN_GRACE_MS = MS_PER_UNIT.h;

/** `--older-than` of gc: `30m`, `12h`, `7d`, in milliseconds; at least an hour, see src/artifacts/integrity.ts. */
export function parseGracePeriod(value: string): number {
  const match = DURATION.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('must be a number followed by m, h or d, such as 24h or 7d');
  const ms = Number(match[1]) * MS_PER_UNIT[match[2] as keyof typeof MS_PER_UNIT];
  if (ms < MIN_GRACE_MS)
    throw new InvalidArgumentError(
      'must be at least 1h: a younger unreferenced blob may belong to a write that has not committed yet',
    );
  return ms;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('must be a port number (0-65535)');
  return port;
}
