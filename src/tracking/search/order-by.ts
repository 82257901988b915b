import type { ExperimentOrderTerm, OrderTerm, RunOrderTerm, SortDirection } from './ast.js';
import { resolveExperimentOrderField, resolveRunOrderField } from './fields.js';
import { describeToken, isKeyword, tokenize, type IdentifierToken, type Token } from './lexer.js';
import { orderByText, syntaxError, type SearchText } from './syntax-error.js';

/**
 * Parses order_by entries: `<field> [ASC|DESC]`, ascending when no direction is given.
 *
 *   ['metrics.auc DESC', 'params.lr', 'attributes.start_time ASC', 'tags.`team name` desc']
 *
 * A mistake is an InvalidInputError with `details.where = 'order_by[i]'`.
 */
export function parseRunOrderBy(entries: readonly string[] | undefined): RunOrderTerm[] {
  return parseOrderBy(entries ?? [], resolveRunOrderField, 'metrics.auc DESC');
}

export function parseExperimentOrderBy(entries: readonly string[] | undefined): ExperimentOrderTerm[] {
  return parseOrderBy(entries ?? [], resolveExperimentOrderField, 'last_update_time DESC');
}

function parseOrderBy<F>(
  entries: readonly string[],
  resolve: (token: IdentifierToken, source: SearchText) => F,
  example: string,
): OrderTerm<F>[] {
  const seen = new Map<string, number>();
  return entries.map((entry, index) => {
    const source = orderByText(entry, index);
    const term = parseEntry(source, resolve, example);
    const identity = JSON.stringify(term.field);
    const earlier = seen.get(identity);
    if (earlier !== undefined) {
      throw syntaxError(
        source,
        1,
        `orders by the same field as order_by[${earlier}]`,
        'list each field once in order_by',
      );
    }
    seen.set(identity, index);
    return term;
  });
}

function parseEntry<F>(
  source: SearchText,
  resolve: (token: IdentifierToken, source: SearchText) => F,
  example: string,
): OrderTerm<F> {
  const tokens = tokenize(source);
  const first = tokens[0]!;
  if (first.kind !== 'identifier') {
    throw syntaxError(
      source,
      first.column,
      `expected a field to order by, found ${describeToken(first, source)}`,
      `write <field> [ASC|DESC], as in ${example}`,
    );
  }
  const field = resolve(first, source);
  const second = tokens[1]!;
  if (second.kind === 'end') return { field, direction: 'ASC' };
  const direction = directionOf(second);
  if (!direction) {
    throw syntaxError(
      source,
      second.column,
      `expected ASC, DESC or the end after '${first.text}', found ${describeToken(second, source)}`,
      `write <field> [ASC|DESC], as in ${example}; quote keys with spaces: metrics.\`val loss\``,
    );
  }
  const third = tokens[2]!;
  if (third.kind !== 'end') {
    throw syntaxError(
      source,
      third.column,
      `unexpected ${describeToken(third, source)} after the direction`,
      `one field per entry, as in ${example}`,
    );
  }
  return { field, direction };
}

function directionOf(token: Token): SortDirection | undefined {
  if (isKeyword(token, 'ASC')) return 'ASC';
  if (isKeyword(token, 'DESC')) return 'DESC';
  return undefined;
}
