import { sha256Digest } from '../../artifacts/index.js';
import { canonicalJson } from '../../common/canonical-json.js';

/**
 * The `before`/`after` digest of a record for the audit log: `sha256:` over its canonical JSON.
 * `null`/`undefined` (no record: a create's before, a delete's after) give `null`.
 */
export function digestOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return sha256Digest(canonicalJson(value));
}
