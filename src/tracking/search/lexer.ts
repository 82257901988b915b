import { syntaxError, type SearchText } from './syntax-error.js';

/**
 * Tokens of the search language. Every token knows its 1-based column so errors can point at it.
 *
 * An identifier is one token even when dotted: `metrics.auc`, `tags.mlflow.source.type` and
 * `` metrics.`val loss` `` each lex as {prefix, name}; the parser decides what the prefix means.
 * Keywords (AND, IN, LIKE, …) are identifiers without a prefix.
 */
export type Token = IdentifierToken | StringToken | NumberToken | OperatorToken | PunctuationToken | EndToken;

export interface IdentifierToken {
  kind: 'identifier';
  column: number;
  text: string;
  /** The part before the first dot (`metrics`), or undefined for a bare word (`status`, `AND`). */
  prefix: string | undefined;
  /** The part after the first dot, unquoted (`auc`, `mlflow.source.type`, `val loss`), or the bare word. */
  name: string;
  /** Column of `name` (after the dot, and after the opening quote when quoted). */
  nameColumn: number;
  /** True when the name was written in double quotes or backticks. */
  quoted: boolean;
}

export interface StringToken {
  kind: 'string';
  column: number;
  text: string;
  value: string;
}

export interface NumberToken {
  kind: 'number';
  column: number;
  text: string;
  value: number;
}

/** `==` and `<>` are lexed only so the parser can say which comparator was meant. */
export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | '==' | '<>';

export interface OperatorToken {
  kind: 'operator';
  column: number;
  text: Operator;
}

export interface PunctuationToken {
  kind: 'punctuation';
  column: number;
  text: '(' | ')' | ',';
}

export interface EndToken {
  kind: 'end';
  column: number;
  text: '';
}

const WORD_START = /[A-Za-z_]/;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_.]*/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NUMBER_START = /^-?\.?\d/;
const OPERATORS: readonly Operator[] = ['<=', '>=', '!=', '==', '<>', '=', '<', '>'];
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
/** Characters that may end an unquoted key; anything else glued to a key means it needs quotes. */
const KEY_BOUNDARY = /[\s=!<>(),]/;

export function tokenize(source: SearchText): Token[] {
  const { text } = source;
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const column = i + 1;
    if (WHITESPACE.has(char)) {
      i += 1;
    } else if (WORD_START.test(char)) {
      const token = readIdentifier(source, i);
      tokens.push(token.token);
      i = token.end;
    } else if (char === "'" || char === '"') {
      const string = readQuoted(source, i);
      tokens.push({ kind: 'string', column, text: text.slice(i, string.end), value: string.value });
      i = string.end;
    } else if (NUMBER_START.test(text.slice(i, i + 3))) {
      const number = readNumber(source, i);
      tokens.push(number.token);
      i = number.end;
    } else if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punctuation', column, text: char });
      i += 1;
    } else {
      const operator = OPERATORS.find((op) => text.startsWith(op, i));
      if (!operator) throw unexpectedCharacter(source, i);
      tokens.push({ kind: 'operator', column, text: operator });
      i += operator.length;
    }
  }
  tokens.push({ kind: 'end', column: text.length + 1, text: '' });
  return tokens;
}

function readIdentifier(source: SearchText, start: number): { token: IdentifierToken; end: number } {
  const { text } = source;
  IDENTIFIER.lastIndex = start;
  const word = IDENTIFIER.exec(text)![0];
  const end = start + word.length;
  const column = start + 1;
  const dot = word.indexOf('.');
  if (dot < 0) {
    checkKeyBoundary(source, start, end);
    const token: IdentifierToken = {
      kind: 'identifier',
      column,
      text: word,
      prefix: undefined,
      name: word,
      nameColumn: column,
      quoted: false,
    };
    return { token, end };
  }
  const prefix = word.slice(0, dot);
  const quote = text[end];
  if (dot === word.length - 1 && (quote === '"' || quote === '`')) {
    const key = readQuoted(source, end);
    const token: IdentifierToken = {
      kind: 'identifier',
      column,
      text: text.slice(start, key.end),
      prefix,
      name: key.value,
      nameColumn: end + 2,
      quoted: true,
    };
    checkKeyBoundary(source, start, key.end);
    return { token, end: key.end };
  }
  if (dot === word.length - 1) {
    throw syntaxError(
      source,
      end + 1,
      `expected a key after '${word}'`,
      `write ${word}<key>, and quote keys with special characters: ${word}"my key"`,
    );
  }
  checkKeyBoundary(source, start, end);
  const token: IdentifierToken = {
    kind: 'identifier',
    column,
    text: word,
    prefix,
    name: word.slice(dot + 1),
    nameColumn: start + dot + 2,
    quoted: false,
  };
  return { token, end };
}

/** A key glued to a character that cannot continue it (`params.model-type`) needs quotes. */
function checkKeyBoundary(source: SearchText, start: number, end: number): void {
  const { text } = source;
  const next = text[end];
  if (next === undefined || KEY_BOUNDARY.test(next)) return;
  if (next === "'" || next === '"' || next === '`') {
    throw syntaxError(
      source,
      end + 1,
      `unexpected ${next} right after '${text.slice(start, end)}'`,
      'put a space before the value, or quote the whole key after the dot: tags."my key"',
    );
  }
  let stop = end;
  while (stop < text.length && !KEY_BOUNDARY.test(text[stop]!)) stop += 1;
  const written = text.slice(start, stop);
  const dot = written.indexOf('.');
  const suggestion = dot < 0 ? `attributes."${written}"` : `${written.slice(0, dot)}."${written.slice(dot + 1)}"`;
  throw syntaxError(
    source,
    end + 1,
    `unexpected character '${next}' in '${written}'`,
    `quote keys that contain special characters: ${suggestion}`,
  );
}

/**
 * Reads a quoted run starting at `start` (a ', " or ` character). Inside, the quote is written
 * twice (`'it''s'`) or escaped with a backslash (`'it\'s'`); `\\` is one backslash; any other
 * backslash is kept as written, so LIKE patterns such as `'50\%'` reach the database unchanged.
 */
function readQuoted(source: SearchText, start: number): { value: string; end: number } {
  const { text } = source;
  const quote = text[start]!;
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const char = text[i]!;
    const next = text[i + 1];
    if (char === quote && next === quote) {
      value += quote;
      i += 2;
    } else if (char === quote) {
      return { value, end: i + 1 };
    } else if (char === '\\' && (next === quote || next === '\\')) {
      value += next;
      i += 2;
    } else if (char === '\0') {
      throw syntaxError(source, i + 1, 'the NUL character is not allowed', 'remove the NUL character from the text');
    } else {
      value += char;
      i += 1;
    }
  }
  const what = quote === '`' ? 'key' : 'string';
  throw syntaxError(
    source,
    start + 1,
    `unclosed ${what}: the ${quote} opened here is never closed`,
    `end the ${what} with a matching ${quote}; inside it, write a ${quote} as ${quote}${quote} or \\${quote}`,
  );
}

function readNumber(source: SearchText, start: number): { token: NumberToken; end: number } {
  const { text } = source;
  NUMBER.lastIndex = start;
  const literal = NUMBER.exec(text)![0];
  const end = start + literal.length;
  const column = start + 1;
  const after = text[end];
  if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) {
    throw syntaxError(
      source,
      end + 1,
      `malformed number '${literal}${after}'`,
      'write numbers like 3, -0.5 or 1e-3, and quote string values',
    );
  }
  const value = Number(literal);
  if (!Number.isFinite(value)) {
    throw syntaxError(source, column, `number ${literal} is out of range`, 'use a number between -1.7e308 and 1.7e308');
  }
  return { token: { kind: 'number', column, text: literal, value }, end };
}

function unexpectedCharacter(source: SearchText, index: number): Error {
  const char = source.text[index]!;
  if (char === '\0') {
    return syntaxError(source, index + 1, 'the NUL character is not allowed', 'remove the NUL character from the text');
  }
  if (char === '`') {
    return syntaxError(
      source,
      index + 1,
      'unexpected `',
      'backticks quote a key after its entity, as in metrics.`val loss`',
    );
  }
  return syntaxError(
    source,
    index + 1,
    `unexpected character '${char}'`,
    'quote string values (\'gbt\') and keys with special characters (params."model-type")',
  );
}

/** How a token reads in an error message: `'loss'`, `the string 'gbt'`, `the end of the filter`. */
export function describeToken(token: Token, source: SearchText): string {
  switch (token.kind) {
    case 'end':
      return source.end;
    case 'string':
      return `the string ${token.text}`;
    case 'number':
      return `the number ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}

export function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'identifier' && token.prefix === undefined && token.name.toUpperCase() === keyword;
}
