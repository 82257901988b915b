import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { decodePageToken, encodePageToken } from '../../../src/tracking/search/index.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('page tokens', () => {
  it('round-trip a page position as an opaque base64url string', () => {
    const token = encodePageToken({ offset: 1500 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token)).toEqual({ offset: 1500 });
  });

  it.each([
    ['garbage', '!!not a token!!'],
    ['base64 of text', Buffer.from('hello').toString('base64url')],
    ['a negative offset', encode({ offset: -1 })],
    ['a fractional offset', encode({ offset: 1.5 })],
    ['a string offset', encode({ offset: '10' })],
    ['extra fields', encode({ offset: 1, admin: true })],
    ['an array', encode([1])],
    ['a truncated token', encodePageToken({ offset: 1000 }).slice(0, -3)],
    ['an oversized token', 'A'.repeat(300)],
  ])('rejects %s as invalid input at page_token', (_, token) => {
    let caught: unknown;
    try {
      decodePageToken(token);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect((caught as InvalidInputError).details.where).toBe('page_token');
    expect((caught as InvalidInputError).details.hint).toContain('next_page_token');
  });
});
