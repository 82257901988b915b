import { formatPath } from '../common/validation.js';

/** A field `ciclo apply` would change: absent `before` is an addition, absent `after` a removal. */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
}

/**
 * The leaves that differ between two JSON-like values, by field path (`members.alice`, `metrics.auc.min`), the
 * way `terraform plan` lists attributes. Arrays are compared whole: an item's index means nothing to a reader, and
 * a list of gates either is what the file says or is not. `keepRemoved` decides, per path, whether a field
 * present before and absent after counts (a member the file does not list is left alone without --prune).
 */
export function fieldChanges(
  before: unknown,
  after: unknown,
  keepRemoved: (field: string) => boolean = () => true,
): FieldChange[] {
  const old = leaves(before);
  const next = leaves(after);
  const changes: FieldChange[] = [];
  for (const [field, value] of next) {
    if (!old.has(field)) changes.push({ field, after: value });
    else if (!sameValue(old.get(field), value)) changes.push({ field, before: old.get(field), after: value });
  }
  for (const [field, value] of old) {
    if (!next.has(field) && keepRemoved(field)) changes.push({ field, before: value });
  }
  return changes.sort((a, b) => a.field.localeCompare(b.field));
}

function leaves(value: unknown, path: string[] = [], into = new Map<string, unknown>()): Map<string, unknown> {
  if (isRecord(value)) {
    // An empty mapping has no leaves: `members: {}` and no members at all declare the same.
    for (const [key, child] of Object.entries(value)) if (child !== undefined) leaves(child, [...path, key], into);
  } else if (path.length > 0) {
    into.set(formatPath('', path), value);
  }
  return into;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
