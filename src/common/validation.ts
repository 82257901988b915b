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

// eslint-disable-next-line no-control-regex -- NUL is what the stores cannot keep
const MAYBE_UNSTORABLE = /[\u0000\ud800-\udfff]/;

/**
 * Why a string cannot be stored and read back unchanged, or undefined when it can. A lone UTF-16
 * surrogate becomes U+FFFD in UTF-8 (both stores encode text so), and PostgreSQL refuses NUL in
 * text: either way what is read back differs from what was written, and a digest over it breaks.
 */
export function unstorableText(text: string): string | undefined {
  // The scan below is exact but runs in JS; most text has no NUL and no surrogate at all.
  if (!MAYBE_UNSTORABLE.test(text)) return undefined;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return `contains a NUL character (U+0000) at position ${i}`;
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i += 1;
      continue;
    }
    return `contains a lone UTF-16 surrogate (U+${unit.toString(16).toUpperCase()}) at position ${i}`;
  }
  return undefined;
}

/**
 * Names, keys and ids are shown in tables and terminals and used in references: no control
 * character at all. Values (tag and param values, descriptions) may hold tab, newline and
 * carriage return, nothing else below U+0020, nor DEL and the C1 controls (U+007F–U+009F).
 */
export type TextKind = 'name' | 'value';

/* eslint-disable no-control-regex -- refusing control characters is the point */
const CONTROL = {
  name: /[\u0000-\u001f\u007f-\u009f]/,
  value: /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/,
} as const;
/* eslint-enable no-control-regex */

/** Why the text is not acceptable as a `kind`, or undefined when it is. */
export function textProblem(text: string, kind: TextKind): string | undefined {
  const unstorable = unstorableText(text);
  if (unstorable !== undefined) return unstorable;
  const control = CONTROL[kind].exec(text);
  if (control === null) return undefined;
  const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  const allowed = kind === 'value' ? 'only tab, newline and carriage return are allowed' : 'names and keys allow none';
  return `contains the control character U+${code} at position ${control.index} (${allowed})`;
}

/** A zod string check for names/keys or values: refuses text `textProblem` finds fault with. */
export function plainText<S extends z.ZodString>(schema: S, kind: TextKind): S {
  return schema.check((ctx) => {
    const problem = textProblem(ctx.value, kind);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });
}
