import type { z } from 'zod';
import { InvalidInputError } from './errors.js';

/**
 * Parses untrusted input with a zod schema; a failure becomes an InvalidInputError naming the
 * field path (`metrics[3].value`) so the caller can find and fix it.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = formatPath(prefix, issue.path);
  throw new InvalidInputError(`${where || 'input'}: ${issue.message}`, where ? { where } : {});
}

export function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
