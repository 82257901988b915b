import { InvalidArgumentError } from 'commander';

/** Commander option parsers shared by the commands; a bad value exits 2 with the flag named. */

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return n;
}

/** For a repeatable option: every occurrence, in order. */
export function collectValues(value: string, previous: string[]): string[] {
  return [...previous, value];
}
