import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { NotFoundError } from '../../common/errors.js';
import {
  definitionProblemError,
  parseYamlWithSource,
  problemFromZod,
  zodMessages,
  type DefinitionProblem,
  type FieldPath,
  type SourceMap,
} from '../../common/yaml-source.js';

/**
 * An expectation suite: a name and a list of expectations, each one map with exactly one key naming
 * its check, plus `column` (for the column checks), `severity` (`error`, the default, or `warn`)
 * and an optional `name` (unique in the suite; defaults to `kind(column)` or `kind#index`):
 *
 * ```yaml
 * name: churn-raw
 * expectations:
 *   - { column: customer_id, exists: true, type: VARCHAR }   # column present (type optional)
 *   - { column: customer_id, not_null: true }
 *   - { column: customer_id, unique: true }                  # nulls are not duplicates
 *   - { column: tenure_months, between: { min: 0, max: 120 } } # inclusive; nulls pass
 *   - { column: contract, in_set: [month-to-month, one-year] } # nulls pass
 *   - { column: email, regex: '^[^@]+@[^@]+$' }              # RE2 search; anchor it; nulls pass
 *   - { row_count: { min: 1000, max: 1000000 } }
 *   - { schema_unchanged: true }                             # vs the previous version's schema
 *   - { column: signup_date, fresh_within: 30d }             # s, m, h, d or w
 *   - sql: select * from data where total_charges < monthly_charges  # must return no rows
 *     name: charges_consistent
 *     severity: warn
 * ```
 *
 * `not_null`, `between`, `in_set` and `regex` say nothing about nulls but `not_null` does, so each
 * failure is counted by exactly one check.
 */

export const EXPECTATION_KINDS = [
  'exists',
  'not_null',
  'unique',
  'between',
  'in_set',
  'regex',
  'row_count',
  'schema_unchanged',
  'fresh_within',
  'sql',
] as const;
export type ExpectationKind = (typeof EXPECTATION_KINDS)[number];

export type Severity = 'error' | 'warn';
export type Bound = number | string;
export type SetValue = string | number | boolean;

interface Common {
  /** Unique in the suite; given or derived (`not_null(customer_id)`, `sql#9`). */
  name: string;
  severity: Severity;
}

export type Expectation = Common &
  (
    | { kind: 'exists'; column: string; type?: string }
    | { kind: 'not_null'; column: string }
    | { kind: 'unique'; column: string }
    | { kind: 'between'; column: string; min?: Bound; max?: Bound }
    | { kind: 'in_set'; column: string; values: SetValue[] }
    | { kind: 'regex'; column: string; pattern: string }
    | { kind: 'row_count'; min?: number; max?: number }
    | { kind: 'schema_unchanged' }
    | { kind: 'fresh_within'; column: string; within: string; withinMs: number }
    | { kind: 'sql'; sql: string }
  );

export interface Suite {
  name: string;
  description?: string;
  expectations: Expectation[];
}

const SuiteSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit'),
  description: z.string().optional(),
  expectations: z.array(z.unknown()).min(1, 'a suite needs at least one expectation'),
});

const common = {
  name: z.string().min(1).optional(),
  severity: z.enum(['error', 'warn']).default('error'),
};
const column = z.string().min(1);
const bound = z.union([z.number(), z.string()]);
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Each kind's strict shape as written; unknown keys are errors at their key. */
const KIND_SCHEMAS = {
  exists: z.strictObject({ ...common, column, exists: z.literal(true), type: z.string().min(1).optional() }),
  not_null: z.strictObject({ ...common, column, not_null: z.literal(true) }),
  unique: z.strictObject({ ...common, column, unique: z.literal(true) }),
  between: z.strictObject({
    ...common,
    column,
    between: z
      .strictObject({ min: bound.optional(), max: bound.optional() })
      .refine((range) => range.min !== undefined || range.max !== undefined, 'give min, max or both'),
  }),
  in_set: z.strictObject({
    ...common,
    column,
    in_set: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1, 'list at least one value'),
  }),
  regex: z.strictObject({ ...common, column, regex: z.string().min(1) }),
  row_count: z.strictObject({
    ...common,
    row_count: z
      .strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
      .refine((range) => range.min !== undefined || range.max !== undefined, 'give min, max or both'),
  }),
  schema_unchanged: z.strictObject({ ...common, schema_unchanged: z.literal(true) }),
  fresh_within: z.strictObject({
    ...common,
    column,
    fresh_within: z.string().regex(DURATION, 'a duration: a whole number and s, m, h, d or w (e.g. 30d, 12h)'),
  }),
  sql: z.strictObject({ ...common, sql: z.string().trim().min(1) }),
} satisfies Record<ExpectationKind, z.ZodType>;

// Where a loaded suite was written, so problems found at run time (an unknown column, custom SQL
// that does not parse) can still name `file:line:col`. Held aside so a Suite stays plain data.
const sources = new WeakMap<Suite, SourceMap>();

/** `where` for a field of the suite: its file position when loaded from YAML. */
export function suiteProblemError(suite: Suite, problem: DefinitionProblem) {
  return definitionProblemError(problem, sources.get(suite), 'suite');
}

/** Validates a raw suite (parsed YAML or a plain object) into a `Suite`, or throws the first problem. */
export function parseSuite(raw: unknown, source?: SourceMap): Suite {
  const fail = (problem: DefinitionProblem) => definitionProblemError(problem, source, 'suite');
  const parsed = SuiteSchema.safeParse(raw, { error: zodMessages });
  if (!parsed.success) throw fail(problemFromZod(parsed.error.issues[0]!));
  const expectations = parsed.data.expectations.map((item, index) => {
    const result = parseExpectation(item, ['expectations', index]);
    if ('problem' in result) throw fail(result.problem);
    return result.expectation;
  });
  const problem = duplicateName(expectations);
  if (problem) throw fail(problem);
  const suite: Suite = {
    name: parsed.data.name,
    ...(parsed.data.description === undefined ? {} : { description: parsed.data.description }),
    expectations,
  };
  if (source) sources.set(suite, source);
  return suite;
}

/** Parses a suite's YAML text; every error names `file:line:col`. */
export function loadSuiteYaml(text: string, fileName: string): Suite {
  const { value, source } = parseYamlWithSource(text, fileName);
  return parseSuite(value, source);
}

export async function loadSuiteFile(path: string): Promise<Suite> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`expectation suite ${path} does not exist`);
  }
  return loadSuiteYaml(text, path);
}

function parseExpectation(raw: unknown, at: FieldPath): { expectation: Expectation } | { problem: DefinitionProblem } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      problem: { path: at, message: 'an expectation is a map with one check key, e.g. { column: id, not_null: true }' },
    };
  }
  const kinds = EXPECTATION_KINDS.filter((kind) => kind in raw);
  if (kinds.length === 0) {
    return {
      problem: {
        path: at,
        message: 'no check in this expectation',
        hint: `write exactly one of: ${EXPECTATION_KINDS.join(', ')}`,
      },
    };
  }
  if (kinds.length > 1) {
    return {
      problem: {
        path: [...at, kinds[1]!],
        message: `one check per expectation, but this one has both "${kinds[0]}" and "${kinds[1]}"`,
        hint: 'split it into two list items',
        atKey: true,
      },
    };
  }
  const kind = kinds[0]!;
  const parsed = KIND_SCHEMAS[kind].safeParse(raw, { error: zodMessages });
  if (!parsed.success) return { problem: problemFromZod(parsed.error.issues[0]!, at) };
  const index = at[at.length - 1] as number;
  return { expectation: normalize(kind, parsed.data, index) };
}

/** The written shape (check key holding its argument) becomes one tagged shape with a name. */
function normalize(kind: ExpectationKind, written: Record<string, unknown>, index: number): Expectation {
  const columnName = written.column as string | undefined;
  const name =
    (written.name as string | undefined) ?? (columnName === undefined ? `${kind}#${index}` : `${kind}(${columnName})`);
  const head = { name, severity: written.severity as Severity };
  const argument = written[kind];
  switch (kind) {
    case 'exists': {
      const type = written.type as string | undefined;
      return { ...head, kind, column: columnName!, ...(type === undefined ? {} : { type }) };
    }
    case 'not_null':
    case 'unique':
      return { ...head, kind, column: columnName! };
    case 'between': {
      const { min, max } = argument as { min?: Bound; max?: Bound };
      return {
        ...head,
        kind,
        column: columnName!,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
      };
    }
    case 'in_set':
      return { ...head, kind, column: columnName!, values: argument as SetValue[] };
    case 'regex':
      return { ...head, kind, column: columnName!, pattern: argument as string };
    case 'row_count': {
      const { min, max } = argument as { min?: number; max?: number };
      return { ...head, kind, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
    }
    case 'schema_unchanged':
      return { ...head, kind };
    case 'fresh_within':
      return {
        ...head,
        kind,
        column: columnName!,
        within: argument as string,
        withinMs: durationMs(argument as string),
      };
    case 'sql':
      return { ...head, kind, sql: argument as string };
  }
}

function durationMs(text: string): number {
  const [, amount, unit] = DURATION.exec(text)!;
  return Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
}

function duplicateName(expectations: Expectation[]): DefinitionProblem | undefined {
  const first = new Map<string, number>();
  for (const [index, expectation] of expectations.entries()) {
    const earlier = first.get(expectation.name);
    if (earlier !== undefined) {
      return {
        path: ['expectations', index],
        message: `duplicate expectation name "${expectation.name}"; expectations[${earlier}] already has it`,
        hint: 'give one of them a distinct `name`',
      };
    }
    first.set(expectation.name, index);
  }
  return undefined;
}
