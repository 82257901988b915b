import { describe, expect, it } from 'vitest';
import { checkRequestValue, MAX_JSON_DEPTH, parseJsonBody } from '../../src/server/request-text.js';

function refusal(text: string): { code?: string; message: string; where?: string; statusCode?: number } {
  try {
    parseJsonBody(text);
  } catch (caught) {
    const error = caught as { code?: string; message: string; statusCode?: number; details?: { where?: string } };
    return {
      message: error.message,
      ...(error.code === undefined ? {} : { code: error.code }),
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      ...(error.details?.where === undefined ? {} : { where: error.details.where }),
    };
  }
  throw new Error(`not refused: ${text}`);
}

/** `levels` objects, each the field `a` of the one around it. */
const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);

/** The JSON body parser every route shares: what secure-json-parse and the depth and text walk refused, in one walk. */
describe('parseJsonBody', () => {
  it('parses JSON, a leading byte order mark included', () => {
    expect(parseJsonBody('{"a":[1,"x",{"b":null}]}')).toEqual({ a: [1, 'x', { b: null }] });
    expect(parseJsonBody('\ufeff{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody('"text"')).toBe('text');
  });

  it('refuses prototype poisoning with Fastify invalid-body error, as secure-json-parse did', () => {
    for (const text of [
      '{"__proto__":{"admin":true}}',
      '{"a":[{"b":{"\\u005f_proto__":1}}]}',
      '{"constructor":{"prototype":{"admin":true}}}',
    ]) {
      expect(refusal(text), text).toMatchObject({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
    }
    // A field named constructor is not poisoning unless it carries a prototype.
    expect(parseJsonBody('{"constructor":{"name":"x"}}')).toEqual({ constructor: { name: 'x' } });
  });

  it('reports poisoning first when the body has other faults before it', () => {
    const deepThenPoison = `{"a":${nested(MAX_JSON_DEPTH + 5)},"z":{"__proto__":1}}`;
    expect(refusal(deepThenPoison)).toMatchObject({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    const textThenPoison = '{"a":"\\u0000","b":[{"__proto__":{}}]}';
    expect(refusal(textThenPoison)).toMatchObject({ code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
  });

  it('answers a syntax error with the engine message, which says where', () => {
    const error = refusal('{"a": 1,}');
    expect(error).toMatchObject({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 });
    expect(error.message).toMatch(/position 8/);
  });

  it('refuses nesting past the limit, naming where, and takes nesting at the limit', () => {
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toBeTruthy();
    const error = refusal(nested(MAX_JSON_DEPTH + 1));
    expect(error).toMatchObject({ code: 'MALFORMED_REQUEST', where: 'a.a.a.a.a.a.a.a…' });
    expect(error.message).toBe(`a.a.a.a.a.a.a.a… nests deeper than ${MAX_JSON_DEPTH} levels`);
    // Far past it, without a stack overflow.
    const arrays = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(refusal(arrays)).toMatchObject({ code: 'MALFORMED_REQUEST', where: '[0][0][0][0][0][0][0][0]…' });
  });

  it('refuses text the stores cannot keep, naming the field, in the order the fields were checked before', () => {
    expect(refusal('{"tags":[{"key":"ok"},{"key":"x\\udc00"}]}')).toMatchObject({
      where: 'tags[1].key',
      message: expect.stringContaining('lone UTF-16 surrogate (U+DC00) at position 1'),
    });
    expect(refusal('{"extra":{"bad\\ud83d":1}}')).toMatchObject({ where: 'extra' });
    expect(refusal('{"bad\\u0000":1}')).toMatchObject({ where: 'body' });
    expect(refusal('"a\\u0000"')).toMatchObject({ where: '' });
    // Two faults: an object's keys first, then its fields from the last, as the explicit-stack walk found them.
    expect(refusal('{"a":"\\u0000","b":"\\u0000"}')).toMatchObject({ where: 'b' });
    expect(refusal('{"a":{"x":"\\u0000"},"b\\u0000":1}')).toMatchObject({ where: 'body' });
    expect(refusal('[["\\u0000"],"\\u0000"]')).toMatchObject({ where: '[0][0]' });
  });
});

describe('checkRequestValue on query strings and path parameters', () => {
  it('names the field under its prefix and does not treat a __proto__ key as a body would', () => {
    expect(() => checkRequestValue({ name: 'a\u0000b' }, 'query')).toThrow(/query\.name: contains a NUL/);
    const query = JSON.parse('{"__proto__":"x"}') as unknown;
    expect(() => checkRequestValue(query, 'query')).not.toThrow();
  });
});
