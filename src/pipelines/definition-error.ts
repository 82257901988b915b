import type { z } from 'zod';
import { InvalidInputError } from '../common/errors.js';
import { formatPath } from '../common/validation.js';

export type FieldPath = readonly (string | number)[];

/** One thing wrong with a definition, found before anything runs. */
export interface DefinitionProblem {
  path: FieldPath;
  message: string;
  hint?: string;
  /** Point at the key rather than its value (an unknown field, a bad record key). */
  atKey?: boolean;
}

/** Maps a field path back to where it was written, as `file:line:col`. */
export interface SourceMap {
  locate(path: FieldPath, target: 'key' | 'value'): string;
}

/**
 * The message always starts with the field path; `where` is the file position when the definition
 * came from a file and the field path otherwise, as `parseInput` does for JSON.
 */
export function definitionError(problem: DefinitionProblem, source?: SourceMap): InvalidInputError {
  const field = formatPath('', problem.path);
  const where = source ? source.locate(problem.path, problem.atKey ? 'key' : 'value') : field;
  const details = { where, ...(problem.hint ? { hint: problem.hint } : {}) };
  return new InvalidInputError(`${field || 'pipeline'}: ${problem.message}`, details);
}

export function problemFromZod(issue: z.core.$ZodIssue, prefix: FieldPath = []): DefinitionProblem {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  if (issue.code === 'unrecognized_keys') {
    return { path: [...path, issue.keys[0]!], message: `unknown field "${issue.keys[0]}"`, atKey: true };
  }
  if (issue.code === 'invalid_key') {
    return { path, message: `invalid name: ${issue.issues[0]?.message ?? issue.message}`, atKey: true };
  }
  return { path, message: issue.message };
}

/** Per-parse error map: a missing field says so instead of "received undefined". */
export function zodMessages(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing required field (${issue.expected})`;
  return undefined;
}
