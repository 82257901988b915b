import { Cron } from 'croner';
import { z } from 'zod';
import {
  definitionProblemError,
  parseYamlWithSource,
  problemFromZod,
  zodMessages,
  type SourceMap,
} from '../../common/yaml-source.js';
import { AlertRuleSchema } from '../alerts/rule.js';

/**
 * A monitor, written in YAML and applied with `ciclo monitor apply FILE` (docs/monitoring.md):
 *
 * ```yaml
 * name: churn-staging               # lowercase letters, digits, "-"
 * deployment: churn-staging         # the deployment whose captured traffic it reads (and whose project it is in)
 * schedule: "*∕15 * * * *"          # cron (croner; `timezone:` optional); without it, on demand only
 * window: { hours: 1 }              # the last N hours of traffic, or { rows: 5000 }: the last N captured rows
 * reference: baseline               # the serving version's baseline, or previous_window (the same span just before)
 * features:                         # default: the version's input columns (numeric or categorical by type)
 *   - monthly_charges
 *   - { name: contract, kind: categorical }
 * prediction: churn_score           # the output column whose distribution is watched (prediction drift)
 * drift: { numeric: [psi, ks, wasserstein], categorical: [chi2, jensen_shannon], bins: 10 }
 * quality:                          # model quality from feedback joined by request id
 *   task: classification            # or regression
 *   threshold: 0.5
 *   segments: [contract]            # metrics per value of these columns too
 *   sensitive: [age_band]           # fairness gaps per attribute, as the approval gates compute them
 * custom:                           # SQL over the window: the table `traffic`, one row per scored row
 *   - { name: high_risk_share, sql: "SELECT avg((churn_score > 0.7)::INT) FROM traffic" }
 * alerts:                           # rules over the metrics above (docs/monitoring.md#alerts)
 *   - { name: drift, metric: drift.psi, feature: monthly_charges, above: 0.2, for: 2, severity: critical }
 * ```
 */

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a name: lowercase letters, digits or "-"');
const Column = z.string().min(1, 'a column name').max(200);

const FeatureEntry = z.union([
  Column,
  z.strictObject({ name: Column, kind: z.enum(['numeric', 'categorical']).optional() }),
]);

const WindowSchema = z.union([
  z.strictObject({
    hours: z
      .number()
      .positive()
      .max(24 * 366),
  }),
  z.strictObject({ rows: z.int().positive().max(100_000_000) }),
]);

const CustomMetric = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'a metric name: lowercase letters, digits or "_"'),
  sql: z.string().min(1).max(20_000),
});

export const MonitorSchema = z
  .strictObject({
    name: Name,
    description: z.string().max(2000).optional(),
    deployment: Name,
    schedule: z
      .string()
      .refine((pattern) => validCron(pattern), 'a cron pattern croner accepts (e.g. "*/15 * * * *")')
      .optional(),
    timezone: z.string().optional(),
    window: WindowSchema.default({ hours: 1 }),
    reference: z.enum(['baseline', 'previous_window']).default('baseline'),
    features: z.array(FeatureEntry).max(10_000).optional(),
    prediction: Column.optional(),
    drift: z
      .strictObject({
        numeric: z.array(z.enum(['psi', 'ks', 'wasserstein'])).default(['psi', 'ks', 'wasserstein']),
        categorical: z.array(z.enum(['chi2', 'jensen_shannon', 'psi'])).default(['chi2', 'jensen_shannon']),
        bins: z.int().min(2).max(100).default(10),
      })
      .default({ numeric: ['psi', 'ks', 'wasserstein'], categorical: ['chi2', 'jensen_shannon'], bins: 10 }),
    quality: z
      .strictObject({
        task: z.enum(['classification', 'regression']).default('classification'),
        threshold: z.number().min(0).max(1).default(0.5),
        segments: z.array(Column).default([]),
        sensitive: z.array(Column).default([]),
      })
      .optional(),
    custom: z.array(CustomMetric).default([]),
    alerts: z.array(AlertRuleSchema).default([]),
  })
  .superRefine((monitor, context) => {
    const seen = new Set<string>();
    monitor.alerts.forEach((rule, index) => {
      if (seen.has(rule.name)) {
        context.addIssue({ code: 'custom', path: ['alerts', index, 'name'], message: `a second rule "${rule.name}"` });
      }
      seen.add(rule.name);
    });
    if (
      monitor.timezone !== undefined &&
      monitor.schedule !== undefined &&
      !validCron(monitor.schedule, monitor.timezone)
    ) {
      context.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${monitor.timezone}"` });
    }
  });

export type MonitorDefinition = z.output<typeof MonitorSchema>;

const TOP_LEVEL = Object.keys(MonitorSchema.shape).join(', ');

function validCron(pattern: string, timezone?: string): boolean {
  try {
    new Cron(pattern, { paused: true, ...(timezone === undefined ? {} : { timezone }) }).stop();
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a monitor's YAML text; every error names the field path and `file:line:col`. The source map is kept
 * for the checks that need the store (columns the served version has), so they point at the line too.
 */
export function parseMonitorYaml(text: string, fileName: string): { monitor: MonitorDefinition; source: SourceMap } {
  const { value, source } = parseYamlWithSource(text, fileName);
  return { monitor: parseMonitor(value ?? {}, source), source };
}

/** Validates a raw monitor (parsed YAML or a plain object, as stored) or throws its first problem. */
export function parseMonitor(raw: unknown, source?: SourceMap): MonitorDefinition {
  const parsed = MonitorSchema.safeParse(raw, { error: zodMessages });
  if (parsed.success) return parsed.data;
  const problem = problemFromZod(parsed.error.issues[0]!);
  if (problem.atKey && problem.path.length === 1) problem.hint = `a monitor's fields are: ${TOP_LEVEL}`;
  throw definitionProblemError(problem, source, 'monitor');
}
