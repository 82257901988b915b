import {
  NUMERIC_COMPARATORS,
  type Comparator,
  type Comparison,
  type ExperimentFilter,
  type Filter,
  type ListComparator,
  type NumericExperimentField,
  type NumericRunField,
  type RunFilter,
  type StringComparator,
  type StringExperimentField,
  type StringRunField,
} from './ast.js';
import { resolveExperimentFilterField, resolveRunFilterField, type ResolvedField } from './fields.js';
import { describeToken, isKeyword, tokenize, type IdentifierToken, type StringToken, type Token } from './lexer.js';
import { filterText, syntaxError, type SearchText } from './syntax-error.js';

/**
 * Parses an MLflow search filter: conditions `<field> <comparator> <value>` joined by AND.
 *
 *   metrics.auc > 0.9 and params.model = 'gbt' and attributes.status IN ('FINISHED', 'FAILED')
 *
 * Every mistake is an InvalidInputError pointing at its column (`details.where = 'filter column N'`).
 */
export function parseRunFilter(filter: string | undefined): RunFilter {
  return parseFilter(filter ?? '', RUN_GRAMMAR);
}

/** search_experiments filters: name, creation_time, last_update_time and tags, with = != LIKE ILIKE. */
export function parseExperimentFilter(filter: string | undefined): ExperimentFilter {
  return parseFilter(filter ?? '', EXPERIMENT_GRAMMAR);
}

interface Grammar<N, S> {
  resolve(token: IdentifierToken, source: SearchText): ResolvedField<N, S>;
  stringComparators: readonly (StringComparator | ListComparator)[];
  /** Which fields compare numerically, for the hint when a string field meets `>`. */
  numericFields: string;
  example: string;
}

const RUN_GRAMMAR: Grammar<NumericRunField, StringRunField> = {
  resolve: resolveRunFilterField,
  stringComparators: ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'],
  numericFields: 'only metrics, start_time and end_time compare numerically',
  example: "metrics.auc > 0.9 and params.model = 'gbt'",
};

const EXPERIMENT_GRAMMAR: Grammar<NumericExperimentField, StringExperimentField> = {
  resolve: resolveExperimentFilterField,
  stringComparators: ['=', '!=', 'LIKE', 'ILIKE'],
  numericFields: 'only creation_time and last_update_time compare numerically',
  example: "name LIKE 'churn%' and tags.team = 'risk'",
};

const ALL_COMPARATORS = '=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN';

function parseFilter<N, S>(text: string, grammar: Grammar<N, S>): Filter<N, S> {
  const source = filterText(text);
  const parser = new FilterParser(source, tokenize(source), grammar);
  return { conditions: parser.parseConditions() };
}

class FilterParser<N, S> {
  #position = 0;
  readonly #source: SearchText;
  readonly #tokens: Token[];
  readonly #grammar: Grammar<N, S>;

  constructor(source: SearchText, tokens: Token[], grammar: Grammar<N, S>) {
    this.#source = source;
    this.#tokens = tokens;
    this.#grammar = grammar;
  }

  parseConditions(): Comparison<N, S>[] {
    const conditions: Comparison<N, S>[] = [];
    if (this.#peek().kind === 'end') return conditions;
    for (;;) {
      conditions.push(this.#parseCondition());
      const next = this.#next();
      if (next.kind === 'end') return conditions;
      if (isKeyword(next, 'AND')) continue;
      if (isKeyword(next, 'OR')) {
        throw this.#error(
          next,
          'OR is not supported; only AND can join conditions',
          'run one search per alternative, ' +
            "or use IN for alternatives on one field: attributes.status IN ('FINISHED', 'FAILED')",
        );
      }
      throw this.#error(
        next,
        `expected AND or ${this.#source.end}, found ${this.#describe(next)}`,
        `join conditions with AND, as in ${this.#grammar.example}`,
      );
    }
  }

  #parseCondition(): Comparison<N, S> {
    const token = this.#next();
    if (token.kind === 'punctuation' && token.text === '(') {
      throw this.#error(
        token,
        'parentheses are only allowed around IN lists',
        `write conditions without grouping, joined by AND: ${this.#grammar.example}`,
      );
    }
    if (token.kind !== 'identifier' || isKeyword(token, 'AND') || isKeyword(token, 'OR')) {
      throw this.#error(
        token,
        `expected a condition, found ${this.#describe(token)}`,
        `write conditions as <field> <comparator> <value>, as in ${this.#grammar.example}`,
      );
    }
    const resolved = this.#grammar.resolve(token, this.#source);
    const comparator = this.#parseComparator(token);
    const column = token.column;
    if (resolved.type === 'numeric') {
      if (!isOneOf(NUMERIC_COMPARATORS, comparator.value)) {
        throw this.#error(
          comparator.token,
          `${token.text} is numeric and compares with ${NUMERIC_COMPARATORS.join(', ')}, not ${comparator.value}`,
          `compare it with a number, as in ${token.text} > 0.5`,
        );
      }
      const value = this.#parseNumber(token, comparator.value);
      return { kind: 'number', field: resolved.field, comparator: comparator.value, value, column };
    }
    if (!isOneOf(this.#grammar.stringComparators, comparator.value)) {
      throw this.#error(
        comparator.token,
        `${token.text} is a string and compares with ${this.#grammar.stringComparators.join(', ')}, ` +
          `not ${comparator.value}`,
        `${this.#grammar.numericFields}; compare ${token.text} with a quoted string, as in ${token.text} = 'value'`,
      );
    }
    if (comparator.value === 'IN' || comparator.value === 'NOT IN') {
      const values = this.#parseList(token, comparator.value);
      return { kind: 'list', field: resolved.field, comparator: comparator.value, values, column };
    }
    const value = this.#parseString(token, comparator.value).value;
    return { kind: 'string', field: resolved.field, comparator: comparator.value, value, column };
  }

  #parseComparator(field: IdentifierToken): { value: Comparator; token: Token } {
    const token = this.#next();
    if (token.kind === 'operator') {
      if (token.text === '==')
        throw this.#error(token, "'==' is not a comparator", `use a single =, as in ${field.text} = …`);
      if (token.text === '<>') throw this.#error(token, "'<>' is not a comparator", `use !=, as in ${field.text} != …`);
      return { value: token.text, token };
    }
    if (isKeyword(token, 'LIKE')) return { value: 'LIKE', token };
    if (isKeyword(token, 'ILIKE')) return { value: 'ILIKE', token };
    if (isKeyword(token, 'IN')) return { value: 'IN', token };
    if (isKeyword(token, 'NOT')) {
      if (isKeyword(this.#peek(), 'IN')) {
        this.#next();
        return { value: 'NOT IN', token };
      }
      throw this.#error(
        this.#peek(),
        `expected IN after NOT, found ${this.#describe(this.#peek())}`,
        'NOT is only used in NOT IN; for one value use !=',
      );
    }
    const hint =
      token.kind === 'identifier'
        ? 'keys with spaces or special characters must be quoted, ' +
          `as in ${field.prefix ?? 'attributes'}.\`${field.name} ${token.text}\``
        : `put one of ${ALL_COMPARATORS} after ${field.text}`;
    throw this.#error(
      token,
      `expected a comparator (${ALL_COMPARATORS}) after '${field.text}', found ${this.#describe(token)}`,
      hint,
    );
  }

  #parseNumber(field: IdentifierToken, comparator: Comparator): number {
    const token = this.#next();
    if (token.kind === 'number') return token.value;
    if (token.kind === 'string') {
      const number = token.value.trim() === '' ? Number.NaN : Number(token.value);
      const hint = Number.isFinite(number)
        ? `write the number without quotes: ${field.text} ${comparator} ${token.value.trim()}`
        : `compare it with a number, as in ${field.text} ${comparator} 0.5`;
      throw this.#error(token, `${field.text} is numeric, but the value is ${this.#describe(token)}`, hint);
    }
    throw this.#error(
      token,
      `expected a number after ${comparator}, found ${this.#describe(token)}`,
      `write a number, as in ${field.text} ${comparator} 0.5`,
    );
  }

  #parseString(field: IdentifierToken, comparator: Comparator): StringToken {
    const token = this.#next();
    if (token.kind === 'string') {
      if ((comparator === 'LIKE' || comparator === 'ILIKE') && endsWithEscape(token.value)) {
        throw this.#error(
          token,
          `the ${comparator} pattern ends with the escape character \\`,
          'escape a literal backslash as \\\\, or remove the trailing \\',
        );
      }
      return token;
    }
    if (token.kind === 'number') {
      throw this.#error(
        token,
        `${field.text} is a string, but the value is ${this.#describe(token)}`,
        `quote the value: ${field.text} ${comparator} '${token.text}'`,
      );
    }
    throw this.#error(
      token,
      `expected a quoted string after ${comparator}, found ${this.#describe(token)}`,
      `quote the value, as in ${field.text} ${comparator} 'value'`,
    );
  }

  #parseList(field: IdentifierToken, comparator: ListComparator): string[] {
    const open = this.#next();
    const example = `${field.text} ${comparator} ('a', 'b')`;
    if (open.kind !== 'punctuation' || open.text !== '(') {
      throw this.#error(
        open,
        `${comparator} needs a list in parentheses, found ${this.#describe(open)}`,
        `write ${example}`,
      );
    }
    if (this.#peek().kind === 'punctuation' && this.#peek().text === ')') {
      throw this.#error(this.#peek(), `the ${comparator} list is empty`, `list at least one value: ${example}`);
    }
    const values: string[] = [];
    for (;;) {
      values.push(this.#parseString(field, comparator).value);
      const separator = this.#next();
      if (separator.kind === 'punctuation' && separator.text === ')') return values;
      if (separator.kind !== 'punctuation' || separator.text !== ',') {
        throw this.#error(
          separator,
          `expected ',' or ')' in the ${comparator} list, found ${this.#describe(separator)}`,
          `separate values with commas and close the list: ${example}`,
        );
      }
    }
  }

  #peek(): Token {
    return this.#tokens[this.#position]!;
  }

  #next(): Token {
    const token = this.#tokens[this.#position]!;
    if (token.kind !== 'end') this.#position += 1;
    return token;
  }

  #describe(token: Token): string {
    return describeToken(token, this.#source);
  }

  #error(token: Token, problem: string, hint: string): Error {
    return syntaxError(this.#source, token.column, problem, hint);
  }
}

function isOneOf<C extends Comparator>(allowed: readonly C[], comparator: Comparator): comparator is C {
  return (allowed as readonly Comparator[]).includes(comparator);
}

/** An odd run of trailing backslashes escapes nothing; PostgreSQL rejects such a pattern. */
function endsWithEscape(pattern: string): boolean {
  const trailing = /\\+$/.exec(pattern)?.[0].length ?? 0;
  return trailing % 2 === 1;
}
