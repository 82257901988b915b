import { InvalidInputError, CicloError } from '../common/errors.js';
import { formatPath, unstorableText } from '../common/validation.js';

/**
 * How deep a JSON body may nest (the body itself is depth 1). No route's schema goes past a handful
 * of levels; the limit only has to stop nesting that would exhaust a recursive walker (zod, the
 * access check, canonical JSON) before any of them sees the body.
 */
export const MAX_JSON_DEPTH = 64;

interface Pending {
  value: unknown;
  depth: number;
  /** Where the value sits, as a link to its parent: the path is only built for an error. */
  parent: Pending | undefined;
  key: PropertyKey | undefined;
}

/**
 * Refuses a parsed request value (a JSON body, the query string, path parameters) that nests deeper
 * than MAX_JSON_DEPTH or holds a string or key that the stores cannot keep as sent (a lone UTF-16
 * surrogate, NUL). Walks with an explicit stack, so hostile nesting cannot overflow the call stack
 * here either. The error names the field: `tags[0].key`.
 */
export function checkRequestValue(root: unknown, prefix: string): void {
  const stack: Pending[] = [{ value: root, depth: 1, parent: undefined, key: undefined }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value, depth } = item;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem !== undefined) throw textError(formatPath(prefix, pathOf(item)), problem);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      const path = pathOf(item);
      const where = formatPath(prefix, path.slice(0, 8)) + (path.length > 8 ? '…' : '');
      throw new CicloError(
        'MALFORMED_REQUEST',
        `${where || 'the request body'} nests deeper than ${MAX_JSON_DEPTH} levels`,
        {
          where: where || 'body',
          hint: `send JSON nested at most ${MAX_JSON_DEPTH} levels deep`,
        },
      );
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1)
        stack.push({ value: value[i], depth: depth + 1, parent: item, key: i });
      continue;
    }
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const problem = unstorableText(key);
      if (problem !== undefined) throw textError(formatPath(prefix, pathOf(item)) || 'body', `a field name ${problem}`);
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: item, key });
    }
  }
}

function pathOf(item: Pending): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at: Pending | undefined = item; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

function textError(where: string, problem: string): InvalidInputError {
  return new InvalidInputError(`${where}: ${problem}, which cannot be stored as sent`, {
    where,
    hint: 'send well-formed Unicode text without NUL characters (a surrogate pair must be complete)',
  });
}
