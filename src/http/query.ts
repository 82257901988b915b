import { z } from 'zod';

/** A whole number from a query string (always text) or a JSON body (a number or, protobuf-style, text). */
export const QueryInt = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+$/, 'must be a whole number')
      .transform(Number),
  ])
  .pipe(z.number().int('must be a whole number').positive('must be positive'));

/** A query parameter that may repeat (`?order_by=a&order_by=b`); one value arrives as a plain string. */
export const QueryList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]));
