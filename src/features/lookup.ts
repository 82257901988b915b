import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import { DEFAULT_PROJECT } from '../governance/index.js';
import { encodeEntityKey, type OnlineStore, type OnlineValue } from './online/types.js';

/** Most entities one lookup may ask for. */
export const MAX_LOOKUP_ENTITIES = 10_000;

const EntityKeyValue = z.union([z.string(), z.number(), z.boolean()]);

export const OnlineLookupSchema = z.strictObject({
  view: z.string().min(1),
  entities: z.array(z.record(z.string(), EntityKeyValue)).max(MAX_LOOKUP_ENTITIES),
  features: z.array(z.string().min(1)).optional(),
  /** The time TTL is judged at (ISO-8601 or epoch ms); now when not given. */
  at: z.union([z.string(), z.number()]).optional(),
});

export type OnlineLookupRequest = z.input<typeof OnlineLookupSchema>;

const ValueSchema: z.ZodType<OnlineValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(ValueSchema), z.record(z.string(), ValueSchema)]),
);

export const OnlineResultSchema = z.object({
  entity: z.record(z.string(), EntityKeyValue),
  /** `found`, `missing` (nothing materialized for the entity) or `expired` (older than the view's TTL). */
  status: z.enum(['found', 'missing', 'expired']),
  /** ISO-8601 event time of the stored row; null when missing. */
  event_time: z.string().nullable(),
  /** Every asked-for feature; null when missing or expired. */
  values: z.record(z.string(), ValueSchema),
});

export const OnlineLookupResponseSchema = z.object({
  view: z.string(),
  features: z.array(z.string()),
  results: z.array(OnlineResultSchema),
});

export type OnlineLookupResponse = z.infer<typeof OnlineLookupResponseSchema>;
export type OnlineResult = z.infer<typeof OnlineResultSchema>;

/**
 * The project of a materialized view (`default` for one materialized before views had projects); undefined when not
 * materialized.
 */
export async function projectOfOnlineView(store: OnlineStore, name: string): Promise<string | undefined> {
  const view = await store.getView(name);
  return view === undefined ? undefined : (view.project ?? DEFAULT_PROJECT);
}

/**
 * Each entity's latest materialized features. TTL applies as it does offline: a row older than
 * `at - ttl` is expired and its values are null. `judgedProject`: the project access control judged
 * for the view (the server's); a view that is not in it (materialized anew meanwhile) is not read.
 */
export async function lookupOnline(
  store: OnlineStore,
  input: unknown,
  now = Date.now(),
  judgedProject?: string,
): Promise<OnlineLookupResponse> {
  const request = parseInput(OnlineLookupSchema, input);
  const view = await store.getView(request.view);
  if (!view || (judgedProject !== undefined && (view.project ?? DEFAULT_PROJECT) !== judgedProject)) {
    throw new NotFoundError(`feature view "${request.view}" has not been materialized`, {
      where: 'view',
      hint: `run: ciclo features materialize ${request.view}`,
    });
  }
  const features = request.features ?? view.features;
  features.forEach((feature, index) => {
    if (!view.features.includes(feature)) {
      throw new InvalidInputError(`features[${index}]: unknown feature "${feature}" of view "${view.name}"`, {
        where: `features[${index}]`,
        hint: `the view's features are: ${view.features.join(', ')}`,
      });
    }
  });
  const keys = request.entities.map((entity, index) => {
    for (const name of Object.keys(entity)) {
      if (!view.entities.includes(name)) {
        throw new InvalidInputError(`entities[${index}]: "${name}" is not an entity key of view "${view.name}"`, {
          where: `entities[${index}].${name}`,
          hint: `the view is keyed by: ${view.entities.join(', ')}`,
        });
      }
    }
    return encodeEntityKey(
      view.entities.map((name) => {
        const value = entity[name];
        if (value === undefined) {
          throw new InvalidInputError(`entities[${index}]: missing entity key "${name}"`, {
            where: `entities[${index}]`,
            hint: `the view is keyed by: ${view.entities.join(', ')}`,
          });
        }
        return value;
      }),
    );
  });
  const at = request.at === undefined ? now : timeOf(request.at);
  const records = await store.read(view.name, keys);
  const nulls = () => Object.fromEntries(features.map((feature) => [feature, null])) as Record<string, OnlineValue>;
  const results = request.entities.map((entity, index): OnlineResult => {
    const record = records[index];
    if (!record) return { entity, status: 'missing', event_time: null, values: nulls() };
    const eventTime = new Date(record.eventTime).toISOString();
    if (view.ttlMs !== undefined && record.eventTime < at - view.ttlMs)
      return { entity, status: 'expired', event_time: eventTime, values: nulls() };
    return {
      entity,
      status: 'found',
      event_time: eventTime,
      values: Object.fromEntries(features.map((feature) => [feature, record.values[feature] ?? null])),
    };
  });
  return { view: view.name, features, results };
}

function timeOf(value: string | number): number {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidInputError(`at: "${value}" is not a time`, {
      where: 'at',
      hint: 'give an ISO-8601 time or epoch milliseconds',
    });
  return ms;
}
