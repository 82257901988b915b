import type { CronOptions } from 'croner';
import { z } from 'zod';

/**
 * How a pipeline says what starts it: the `triggers:` list of a pipeline definition. Each entry
 * names one source; `ciclo server` runs them (src/triggers). Shared fields say what the started run gets.
 * The schema is part of the definition, so a pipeline is checked whole when it is compiled.
 */

const TRIGGER_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const common = {
  name: z.string().regex(TRIGGER_NAME, 'must start with a letter or _ and contain only letters, digits, _ and -'),
  /** Param values for the runs this trigger starts (over the pipeline's defaults). */
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** The environment (`environments.<name>`) the started runs use. */
  env: z.string().optional(),
  /** How many runs may wait while one of this pipeline is going; further firings are dropped. */
  maxQueued: z.int().min(0).default(1),
};

const PollSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'write a duration such as 500ms, 30s, 5m or 1h')
  .default('30s');

export const TriggerSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...common,
    type: z.literal('cron'),
    /** Five or six field cron pattern, read by croner. */
    schedule: z.string().min(1),
    /** IANA time zone the schedule is read in, e.g. Europe/Lisbon; the server's zone when absent. */
    timezone: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('path'),
    /** A file or folder (relative to the pipeline's folder) whose content digest is watched. */
    path: z.string().min(1),
    interval: PollSchema,
  }),
  z.strictObject({
    ...common,
    type: z.literal('dataset'),
    /** A named dataset; a new version of it fires. */
    dataset: z.string().min(1),
    interval: PollSchema,
  }),
  z.strictObject({
    ...common,
    type: z.literal('git'),
    /** Paths (relative to the pipeline's folder) whose changes in a new commit fire; default: the folder. */
    paths: z.array(z.string().min(1)).default(['.']),
    /** The branch or ref to watch; default HEAD. */
    ref: z.string().min(1).default('HEAD'),
    interval: PollSchema,
  }),
  z.strictObject({
    ...common,
    type: z.literal('webhook'),
    /** The environment variable holding the HMAC-SHA256 secret the caller signs the body with. */
    secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
  }),
  z.strictObject({
    ...common,
    type: z.literal('redis'),
    channel: z.string().min(1),
    /** Default: CICLO_REDIS_URL. */
    url: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('nats'),
    subject: z.string().min(1),
    /** Default: CICLO_NATS_URL. */
    url: z.string().optional(),
  }),
  z.strictObject({
    ...common,
    type: z.literal('alert'),
    /** Fires on a FIRING alert of this monitor (and `rule`, when given); at least one of the two. */
    monitor: z.string().min(1).optional(),
    rule: z.string().min(1).optional(),
    /** The lowest severity that fires: `warning` fires for warning and critical alerts; default every severity. */
    severity: z.enum(['info', 'warning', 'critical'], { error: 'must be info, warning or critical' }).optional(),
    interval: PollSchema,
  }),
]);

export type TriggerSpec = z.output<typeof TriggerSpecSchema>;
export type TriggerType = TriggerSpec['type'];

type CronTriggerSpec = Extract<TriggerSpec, { type: 'cron' }>;

/**
 * How croner reads a `cron` trigger's schedule: five fields (minutes) or six (seconds first), as documented (croner
 * would also take seven), in the trigger's time zone when it names one.
 */
export function cronOptions(spec: Pick<CronTriggerSpec, 'timezone'>): CronOptions {
  return { mode: '5-or-6-parts', ...(spec.timezone === undefined ? {} : { timezone: spec.timezone }) };
}
