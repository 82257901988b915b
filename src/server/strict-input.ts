import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type ValidatorCompiler = typeof validatorCompiler;

/** Ciclo's own API; MLflow's routes keep accepting the fields newer MLflow clients add. */
const NATIVE_PREFIX = '/api/v1/';

/**
 * The zod validator, with `/api/v1` bodies and query strings refusing fields they do not know
 * (400 naming them) instead of dropping them: a misspelt or wrong-cased field (`experiment_ids` on
 * a route that reads `experimentIds`) would otherwise be ignored and answer as if it was never sent.
 * Top-level fields only; nested objects are as their own schemas say.
 */
export const strictNativeValidatorCompiler: ValidatorCompiler = (route) => {
  const { schema, url, httpPart } = route;
  const strict =
    url.startsWith(NATIVE_PREFIX) &&
    (httpPart === 'body' || httpPart === 'querystring') &&
    schema instanceof z.ZodObject
      ? schema.strict()
      : schema;
  return validatorCompiler({ ...route, schema: strict });
};
