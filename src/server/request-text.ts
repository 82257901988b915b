import { errorCodes } from 'fastify';
import { InvalidInputError, CicloError } from '../common/errors.js';
import { formatPath, unstorableText } from '../common/validation.js';

/**
 * How deep a JSON body may nest (the body itself is depth 1). No route's schema goes past a handful
 * of levels; the limit only has to stop nesting that would exhaust a recursive walker (zod, the
 * access check, canonical JSON) before any of them sees the body.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * A JSON request body, parsed and checked in one walk of the parsed value (this runs on every request, so it
 * walks once, not once for prototype keys and again for depth and text). Refused as before: prototype
 * poisoning (`__proto__`, `constructor.prototype`) with Fastify's invalid-body error, as secure-json-parse
 * refused it; a syntax error with the engine's message, which says where; then what checkRequestValue refuses.
 * When a body has several faults, poisoning is the one reported, as when the parser refused it first.
 */
export function parseJsonBody(text: string): unknown {
  // A leading byte order mark is not JSON, but clients send one and secure-json-parse took it.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    throw syntaxError(text);
  }
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string') checkText(value, '', []);
    return value;
  }
  try {
    visit(value, 1, '', [], true);
  } catch (refused) {
    // The walk stops at its first fault; poisoning deeper in the body or later in its order still comes first.
    if (refused instanceof PoisonedBody || poisoned(value)) throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
    throw refused;
  }
  return value;
}

/**
 * Refuses a parsed request value (a JSON body, the query string, path parameters) that nests deeper
 * than MAX_JSON_DEPTH or holds a string or key that the stores cannot keep as sent (a lone UTF-16
 * surrogate, NUL). The walk recurses at most MAX_JSON_DEPTH levels, so hostile nesting cannot overflow
 * the call stack here either. The error names the field: `tags[0].key`. Faults are found in the order
 * an explicit-stack walk found them before (keys of an object first, then its fields from the last).
 */
export function checkRequestValue(root: unknown, prefix: string): void {
  if (root === null || typeof root !== 'object') {
    if (typeof root === 'string') checkText(root, prefix, []);
    return;
  }
  visit(root, 1, prefix, [], false);
}

/** Thrown inside the walk only; parseJsonBody answers it with Fastify's error, as the parser did. */
class PoisonedBody extends Error {}

function visit(value: object, depth: number, prefix: string, path: PropertyKey[], body: boolean): void {
  if (depth > MAX_JSON_DEPTH) {
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
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      if (typeof item === 'string') {
        if (unstorableText(item) !== undefined) checkText(item, prefix, [...path, i]);
      } else if (item !== null && typeof item === 'object') {
        path.push(i);
        visit(item, depth + 1, prefix, path, body);
        path.pop();
      }
    }
    return;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const key of keys) {
    if (body && (key === '__proto__' || (key === 'constructor' && hasPrototype(record[key])))) throw new PoisonedBody();
    const problem = unstorableText(key);
    if (problem !== undefined) throw textError(formatPath(prefix, path) || 'body', `a field name ${problem}`);
  }
  for (let k = keys.length - 1; k >= 0; k -= 1) {
    const key = keys[k]!;
    const item = record[key];
    if (typeof item === 'string') {
      if (unstorableText(item) !== undefined) checkText(item, prefix, [...path, key]);
    } else if (item !== null && typeof item === 'object') {
      path.push(key);
      visit(item, depth + 1, prefix, path, body);
      path.pop();
    }
  }
}

function checkText(text: string, prefix: string, path: readonly PropertyKey[]): void {
  const problem = unstorableText(text);
  if (problem !== undefined) throw textError(formatPath(prefix, path), problem);
}

function hasPrototype(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype');
}

/** secure-json-parse's own test, over the whole value: any object holding `__proto__` or `constructor.prototype`. */
function poisoned(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    const record = value as Record<string, unknown>;
    if (Object.hasOwn(record, '__proto__')) return true;
    if (Object.hasOwn(record, 'constructor') && hasPrototype(record.constructor)) return true;
    for (const key of Object.keys(record)) stack.push(record[key]);
  }
  return false;
}

/** The engine's message says where the text stops being JSON (`… in JSON at position 31`). */
function syntaxError(text: string): Error {
  let message = 'Body is not valid JSON';
  try {
    JSON.parse(text);
  } catch (syntax) {
    message = (syntax as Error).message;
  }
  return Object.assign(new Error(message), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
}

function textError(where: string, problem: string): InvalidInputError {
  return new InvalidInputError(`${where}: ${problem}, which cannot be stored as sent`, {
    where,
    hint: 'send well-formed Unicode text without NUL characters (a surrogate pair must be complete)',
  });
}
