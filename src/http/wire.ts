import { z } from 'zod';

/**
 * The `/api/v1` wire conventions every capability's routes share (docs/rest-api.md): snake_case
 * fields, one list envelope, a declared "no body" and "no content". Part of the HTTP kit (src/http).
 */

/**
 * The one list envelope: `next_page_token` is there only when more items follow, and the client
 * passes it back as `page_token`. A list that is always whole never has one.
 */
export function pageReply<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), next_page_token: z.string().optional() });
}

/** A service's page (`{ items, nextPageToken? }`) in the envelope, each item translated by `toWire`. */
export function pageToWire<T, W>(
  page: { items: readonly T[]; nextPageToken?: string | undefined },
  toWire: (item: T) => W,
): { items: W[]; next_page_token?: string } {
  const items = page.items.map((item) => toWire(item));
  return page.nextPageToken ? { items, next_page_token: page.nextPageToken } : { items };
}

/**
 * The body of a POST that needs none (a restore, an evaluation): nothing (Fastify's null without a
 * content type, undefined for an empty JSON body), or `{}`. Declared rather than left out, so that a
 * field sent anyway is refused like any unknown field.
 */
export const NoBody = z.strictObject({}).nullish().describe('No body (or an empty object)');

/** A 204 answer. */
export const NoContent = z.undefined().describe('No content');
