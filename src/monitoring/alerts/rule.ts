import { z } from 'zod';

/**
 * An alert rule as a monitor's YAML declares it under `alerts:`. The monitor loader embeds this schema and
 * reports its issues with `file:line:col`, so every message names what to write instead. Parsing is
 * idempotent (a parsed rule parses to itself), because the monitor's definition is stored as JSON and read
 * back through the same schema.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `30m`, `2h`, `1d` or a number of seconds → seconds. */
const DurationSchema = z
  .union([
    z.int().min(0, 'must be 0 seconds or more'),
    z.string().regex(DURATION, 'write a duration such as 90s, 30m, 2h or 1d, or a number of seconds'),
  ])
  .transform((value) => {
    if (typeof value === 'number') return value;
    const match = DURATION.exec(value)!;
    return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  });

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .describe('where the alert JSON is POSTed');

/**
 * One action, written as a one-key object (`- webhook: {url: …}`), so the YAML reads as what happens. An object
 * with every key optional and a check for exactly one keeps zod's messages on the inner fields
 * (`actions[0].webhook.url`), which a union of four shapes would reduce to "invalid input".
 */
export const AlertActionSchema = z
  .strictObject({
    webhook: z.strictObject({
      url: httpUrl,
      /** The environment variable holding the HMAC-SHA256 secret; the body is signed as webhook triggers check. */
      secret_env: z.string().regex(ENV_NAME, 'must be an environment variable name (A-Z, 0-9, _)').optional(),
    }),
    nats: z.strictObject({
      subject: z.string().min(1, 'must name a subject'),
      /** Default: CICLO_NATS_URL, else nats://127.0.0.1:4222. */
      url: z
        .string()
        .regex(/^(nats|tls):\/\/.+/, 'must be a nats:// or tls:// URL')
        .optional(),
    }),
    redis: z.strictObject({
      channel: z.string().min(1, 'must name a channel'),
      /** Default: CICLO_REDIS_URL, else redis://127.0.0.1:6379. */
      url: z
        .string()
        .regex(/^rediss?:\/\/.+/, 'must be a redis:// or rediss:// URL')
        .optional(),
    }),
    rollback: z.strictObject({
      /** Default: the monitor's deployment. */
      deployment: z.string().min(1).optional(),
    }),
  })
  .partial()
  .check((ctx) => {
    const keys = Object.keys(ctx.value);
    if (keys.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `an action is exactly one of webhook, nats, redis or rollback (got ${keys.join(', ') || 'none'})`,
      });
    }
  });

export type AlertAction = z.output<typeof AlertActionSchema>;
export type AlertActionType = 'webhook' | 'nats' | 'redis' | 'rollback';

export const AlertRuleSchema = z
  .strictObject({
    name: z.string().regex(SLUG, 'must be lowercase letters, digits, "_" or "-", starting with a letter or digit'),
    /** A metric name, e.g. `drift.psi`, `model.accuracy`, `custom.revenue`. */
    metric: z.string().min(1, 'must name a metric, e.g. drift.psi'),
    /** Omitted: the worst value over every feature (and segment). */
    feature: z.string().min(1).optional(),
    segment: z.string().min(1).optional(),
    above: z.number().optional(),
    below: z.number().optional(),
    /** Consecutive breaching windows before the alert fires. */
    for: z.int().min(1, 'must be at least 1 window').default(1),
    /** Seconds after a firing during which the rule does not fire again. */
    cooldown: DurationSchema.optional(),
    severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }).default('warning'),
    actions: z.array(AlertActionSchema).default([]),
  })
  .check((ctx) => {
    const { above, below } = ctx.value;
    if ((above === undefined) === (below === undefined)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['above'],
        message:
          above === undefined
            ? 'give a threshold: above (breaches when the value is greater) or below (when it is smaller)'
            : 'give one threshold, above or below, not both',
      });
    }
  });

export type AlertRule = z.output<typeof AlertRuleSchema>;
/** What a monitor's YAML may write (defaults not yet applied). */
export type AlertRuleInput = z.input<typeof AlertRuleSchema>;

export function actionType(action: AlertAction): AlertActionType {
  return Object.keys(action)[0] as AlertActionType;
}

/** The rule's threshold as the payload and people read it. */
export function thresholdOf(rule: AlertRule): { condition: 'above' | 'below'; threshold: number } {
  return rule.above !== undefined
    ? { condition: 'above', threshold: rule.above }
    : { condition: 'below', threshold: rule.below! };
}
