import { sha256Digest } from '../../artifacts/index.js';
import { InvalidInputError } from '../../common/errors.js';

/**
 * JSON with object keys sorted at every depth and no whitespace: equal values give the same text
 * whatever order their keys were written in. Array order is kept; `undefined` members are dropped
 * (as JSON.stringify does). The same rules as the pipelines' `canonicalJson`, written here so that
 * governance does not load the pipelines capability (executors, BullMQ, …) just for twenty lines.
 * Non-finite numbers are refused: JSON would silently turn them into null.
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
    throw new InvalidInputError(`${value} cannot be part of an audit record`, { where: 'details' });
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * The `before`/`after` digest of a record for the audit log: `sha256:` over its canonical JSON.
 * `null`/`undefined` (no record: a create's before, a delete's after) give `null`.
 */
export function digestOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return sha256Digest(canonicalJson(value));
}
