import { InvalidInputError } from '../common/errors.js';

/**
 * MLflow's registry filter language, the part its clients send: comparisons joined with AND, e.g.
 * `name LIKE 'churn%' AND tags.team = 'growth'` or `run_id IN ('a', 'b')`. The parser yields plain
 * clauses; the store turns each into a parameterized condition, so a value never becomes SQL text.
 * Anything else (OR, parentheses around clauses, numbers, comments) is refused, not ignored.
 */

export type FilterOp = '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';

export type FilterClause =
  | { field: 'name' | 'run_id'; op: FilterOp; values: string[] }
  | { field: 'tag'; key: string; op: FilterOp; values: string[] };

/** What each search accepts: the fields and, per field, the operators. */
export interface FilterGrammar {
  what: string;
  fields: Partial<Record<FilterClause['field'], readonly FilterOp[]>>;
}

export const MODEL_FILTER: FilterGrammar = {
  what: 'registered models',
  fields: { name: ['=', '!=', 'LIKE', 'ILIKE'], tag: ['=', '!=', 'LIKE', 'ILIKE'] },
};

export const VERSION_FILTER: FilterGrammar = {
  what: 'model versions',
  fields: { name: ['=', '!=', 'LIKE', 'ILIKE'], run_id: ['=', '!=', 'IN'], tag: ['=', '!=', 'LIKE', 'ILIKE'] },
};

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'quoted-name'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'op'; text: string; at: number }
  | { kind: 'punct'; text: '(' | ')' | ','; at: number };

export function parseFilter(filter: string | undefined, grammar: FilterGrammar): FilterClause[] {
  if (filter === undefined || filter.trim() === '') return [];
  return parseClauses(filter, grammar);
}

function parseClauses(filter: string, grammar: FilterGrammar): FilterClause[] {
  const tokens = tokenize(filter);
  const clauses: FilterClause[] = [];
  let i = 0;
  const next = (expected: string): Token => {
    const token = tokens[i++];
    if (token === undefined) throw filterError(`the filter ends where ${expected} was expected`, filter);
    return token;
  };
  for (;;) {
    clauses.push(parseClause());
    const token = tokens[i];
    if (token === undefined) return clauses;
    if (token.kind === 'word' && token.text.toUpperCase() === 'AND') {
      i++;
      continue;
    }
    throw filterError(
      `expected AND or the end of the filter at position ${token.at + 1}, found '${token.text}'`,
      filter,
    );
  }

  function parseClause(): FilterClause {
    const subject = next('a field');
    const field = fieldOf(subject);
    const opToken = next('an operator');
    const op = operatorOf(opToken);
    const allowed = grammar.fields[field.field];
    if (allowed === undefined) {
      throw filterError(
        `${grammar.what} cannot be filtered on '${subject.text}'`,
        filter,
        `filter on ${Object.keys(grammar.fields)
          .map((f) => (f === 'tag' ? 'tags.<key>' : f))
          .join(', ')}`,
      );
    }
    if (!allowed.includes(op)) {
      throw filterError(`'${subject.text}' does not take ${op}`, filter, `use one of ${allowed.join(', ')}`);
    }
    const values = op === 'IN' ? parseList() : [stringValue(next('a quoted value'))];
    return field.field === 'tag' ? { field: 'tag', key: field.key, op, values } : { field: field.field, op, values };
  }

  function parseList(): string[] {
    const open = next("'('");
    if (open.text !== '(' || open.kind !== 'punct')
      throw filterError(`IN takes a parenthesized list of quoted values, found '${open.text}'`, filter);
    const values: string[] = [];
    for (;;) {
      values.push(stringValue(next('a quoted value')));
      const separator = next("',' or ')'");
      if (separator.kind === 'punct' && separator.text === ')') return values;
      if (separator.kind !== 'punct' || separator.text !== ',')
        throw filterError(`expected ',' or ')' in the IN list, found '${separator.text}'`, filter);
    }
  }

  function fieldOf(token: Token): { field: 'name' | 'run_id' } | { field: 'tag'; key: string } {
    if (token.kind === 'word') {
      const lower = token.text.toLowerCase();
      if (lower === 'name' || lower === 'run_id') return { field: lower };
      const tag = /^tags?\.(.+)$/i.exec(token.text);
      if (tag !== null) return { field: 'tag', key: tag[1]! };
    }
    if (token.kind === 'quoted-name') return { field: 'tag', key: token.text };
    throw filterError(
      `expected a field at position ${token.at + 1}, found '${token.text}'`,
      filter,
      'fields are name, run_id or tags.<key> (tags.`key with spaces`)',
    );
  }

  function operatorOf(token: Token): FilterOp {
    const text = token.text.toUpperCase();
    if (token.kind === 'op' && (text === '=' || text === '!=')) return text;
    if (token.kind === 'word' && (text === 'LIKE' || text === 'ILIKE' || text === 'IN')) return text;
    throw filterError(
      `expected an operator (=, !=, LIKE, ILIKE, IN) at position ${token.at + 1}, found '${token.text}'`,
      filter,
    );
  }

  function stringValue(token: Token): string {
    if (token.kind !== 'string') {
      throw filterError(
        `expected a quoted value at position ${token.at + 1}, found '${token.text}'`,
        filter,
        "quote values: name = 'churn'",
      );
    }
    return token.text;
  }
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const char = filter[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'" || char === '"') {
      const { text, end } = readQuoted(filter, i, char);
      tokens.push({ kind: 'string', text, at: i });
      i = end;
    } else if (char === '`') {
      // tags.`key with spaces`: the backquoted part is the tag key.
      const { text, end } = readQuoted(filter, i, '`');
      const previous = tokens.at(-1);
      if (previous?.kind === 'word' && /^tags?\.$/i.test(previous.text)) {
        tokens.pop();
        tokens.push({ kind: 'quoted-name', text, at: previous.at });
      } else {
        throw filterError(`a backquoted name must follow 'tags.' (position ${i + 1})`, filter);
      }
      i = end;
    } else if (char === '=' || char === '!') {
      if (char === '!' && filter[i + 1] !== '=') throw filterError(`unexpected '!' at position ${i + 1}`, filter);
      const text = char === '!' ? '!=' : '=';
      tokens.push({ kind: 'op', text, at: i });
      i += text.length;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char, at: i });
      i++;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(filter.slice(i))!;
      tokens.push({ kind: 'word', text: match[0], at: i });
      i += match[0].length;
    } else {
      throw filterError(`unexpected '${char}' at position ${i + 1}`, filter);
    }
  }
  return tokens;
}

/** A quoted run; the quote character doubled stands for itself, as in SQL. */
function readQuoted(filter: string, start: number, quote: string): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < filter.length) {
    const char = filter[i]!;
    if (char === quote) {
      if (filter[i + 1] === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return { text, end: i + 1 };
    }
    text += char;
    i++;
  }
  throw filterError(`the quote at position ${start + 1} is never closed`, filter);
}

function filterError(message: string, filter: string, hint?: string): InvalidInputError {
  return new InvalidInputError(`invalid filter ${JSON.stringify(filter)}: ${message}`, {
    where: 'filter',
    hint: hint ?? "write comparisons joined with AND, e.g. name LIKE 'churn%' AND tags.team = 'growth'",
  });
}

// ── order_by ─────────────────────────────────────────────────────────────────

export type OrderColumn = 'name' | 'version' | 'updated_time' | 'created_time';
export interface OrderTerm {
  column: OrderColumn;
  direction: 'asc' | 'desc';
}

const ORDER_COLUMNS: Record<string, OrderColumn> = {
  name: 'name',
  version: 'version',
  version_number: 'version',
  last_updated_timestamp: 'updated_time',
  creation_timestamp: 'created_time',
};

/** `name`, `last_updated_timestamp DESC`, …; `allowed` are the MLflow names this search orders by. */
export function parseOrderBy(orderBy: readonly string[], allowed: readonly string[]): OrderTerm[] {
  return orderBy.map((term) => {
    const match = /^\s*([A-Za-z_]+)(?:\s+(ASC|DESC))?\s*$/i.exec(term);
    const column = match === null ? undefined : match[1]!.toLowerCase();
    if (column === undefined || !allowed.includes(column)) {
      throw new InvalidInputError(`invalid order_by '${term}'`, {
        where: 'order_by',
        hint: `order by ${allowed.join(', ')}, each optionally ASC or DESC`,
      });
    }
    return { column: ORDER_COLUMNS[column]!, direction: match![2]?.toLowerCase() === 'desc' ? 'desc' : 'asc' };
  });
}

// ── page tokens ──────────────────────────────────────────────────────────────

/** Where the next page starts, as an opaque base64url string. */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  let offset: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(token)) throw new Error('not base64url');
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    offset =
      typeof decoded === 'object' && decoded !== null && Object.keys(decoded).length === 1
        ? (decoded as { offset?: unknown }).offset
        : undefined;
  } catch {
    offset = undefined;
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidInputError('invalid page_token', {
      where: 'page_token',
      hint: 'pass next_page_token from the previous answer unchanged, or leave page_token out for the first page',
    });
  }
  return offset;
}
