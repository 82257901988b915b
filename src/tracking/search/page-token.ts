import { InvalidInputError } from '../../common/errors.js';

/** Where the next page starts. Clients see it only as an opaque base64url string. */
export interface PageCursor {
  offset: number;
}

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const HINT = 'pass next_page_token from the previous response unchanged, or omit page_token to start at the first page';

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ offset: cursor.offset }), 'utf8').toString('base64url');
}

/** Any token this module did not produce (edited, truncated, garbage) is an InvalidInputError. */
export function decodePageToken(token: string): PageCursor {
  if (!TOKEN.test(token)) throw invalidToken('it is not a base64url string');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken('it does not decode to a page position');
  }
  if (!isCursor(decoded)) throw invalidToken('it does not hold a valid page position');
  return { offset: decoded.offset };
}

function isCursor(value: unknown): value is PageCursor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const offset = (value as { offset?: unknown }).offset;
  return keys.length === 1 && Number.isSafeInteger(offset) && (offset as number) >= 0;
}

function invalidToken(reason: string): InvalidInputError {
  return new InvalidInputError(`invalid page_token: ${reason}`, { where: 'page_token', hint: HINT });
}
