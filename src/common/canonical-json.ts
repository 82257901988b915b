import { InvalidInputError } from './errors.js';

/**
 * JSON with object keys sorted at every depth and no whitespace: equal values give the same text
 * whatever order their keys were written in, which is what a digest of a value needs (cache keys,
 * recorded definitions, audit records). Array order is kept; `undefined` members are dropped (as
 * JSON.stringify does); dates become ISO strings and bigints their decimal text. Non-finite numbers
 * are refused: JSON would silently turn them into null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = sortKeys(item);
    }
    return sorted;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new InvalidInputError(`${value} has no canonical JSON form`, { hint: 'use a finite number, or null' });
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
