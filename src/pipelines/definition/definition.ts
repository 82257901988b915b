import { z } from 'zod';
import { DEFAULT_PROJECT, ProjectNameSchema } from '../../governance/index.js';
import { TriggerSpecSchema } from './triggers.js';

/**
 * The one pipeline definition type. YAML and the TypeScript DSL are both parsed by `PipelineSchema`
 * and then checked by `compilePipeline`; the scheduler, the cache key and the UI read its output.
 * Authoring is flat (`kind: command` next to `command: …`); the output nests the kind's fields
 * under `config` so readers never have to know which keys belong to which kind.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const nameMessage = 'must start with a letter or _ and contain only letters, digits, _ and -';

const NameSchema = z.string().regex(NAME, nameMessage);

const PARAM_TYPES = ['string', 'number', 'integer', 'boolean'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

const ParamValueSchema = z.union([z.string(), z.number(), z.boolean()], {
  error: 'expected a string, number or boolean',
});
export type ParamValue = z.output<typeof ParamValueSchema>;

const ParamSpecSchema = z.strictObject({
  type: z.enum(PARAM_TYPES),
  default: ParamValueSchema.optional(),
  description: z.string().optional(),
});
export type ParamSpec = z.output<typeof ParamSpecSchema>;

const OUTPUT_TYPES = ['file', 'folder', 'dataset', 'model'] as const;
const OutputSpecSchema = z
  .strictObject({
    type: z.enum(OUTPUT_TYPES),
    /** Register the output, when the step succeeds, as a new version of this dataset. */
    register: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/, 'must be a dataset name (letters, digits, _ . -)')
      .optional(),
    /** Columns the registered version tags sensitive: their values stay out of profiles and reports. */
    sensitive: z.array(z.string().min(1)).optional(),
  })
  .refine((spec) => spec.sensitive === undefined || spec.register !== undefined, {
    message: 'sensitive needs register: only a registered dataset version tags columns',
    path: ['sensitive'],
  });
export type OutputSpec = z.output<typeof OutputSpecSchema>;

export type Reference =
  | { from: 'step'; step: string; output: string }
  | { from: 'param'; param: string }
  /** A registered dataset version: `NAME`, `NAME@3` or `NAME@sha256:…`; pinned to a version when a run starts. */
  | { from: 'dataset'; dataset: string };

const STEP_REFERENCE = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const PARAM_REFERENCE = /^params\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const DATASET_REFERENCE = /^datasets\.([A-Za-z0-9_][A-Za-z0-9_.-]*(@(\d+|sha256:[0-9a-f]{64}))?)$/;

export function parseReference(text: string): Reference | undefined {
  const step = STEP_REFERENCE.exec(text);
  if (step) return { from: 'step', step: step[1]!, output: step[2]! };
  const param = PARAM_REFERENCE.exec(text);
  if (param) return { from: 'param', param: param[1]! };
  const dataset = DATASET_REFERENCE.exec(text);
  return dataset ? { from: 'dataset', dataset: dataset[1]! } : undefined;
}

const ReferenceSchema = z.string().transform((text, ctx): Reference => {
  const reference = parseReference(text);
  if (reference) return reference;
  ctx.addIssue({
    code: 'custom',
    message:
      `"${text}" is not a reference; ` +
      'write steps.<step>.outputs.<output>, params.<name> or datasets.<name>[@<version>]',
  });
  return z.NEVER;
});

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `30s`, `5m`, `1h`, `250ms` → milliseconds. */
const DurationSchema = z.string().transform((text, ctx) => {
  const match = DURATION.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : 0;
  if (ms > 0) return ms;
  ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write e.g. 500ms, 30s, 5m or 1h` });
  return z.NEVER;
});

const RetryBackoffSchema = z
  .strictObject({
    initialMs: z.int().positive().default(1000),
    factor: z.number().min(1).default(2),
    maxMs: z.int().positive().default(60_000),
  })
  .refine((backoff) => backoff.maxMs >= backoff.initialMs, {
    message: 'maxMs must be at least initialMs',
    path: ['maxMs'],
  });
export type RetryBackoff = z.output<typeof RetryBackoffSchema>;

/** The fields every step has; any other key of a step belongs to its kind. */
const stepFields = {
  name: NameSchema,
  kind: z.string().min(1),
  inputs: z.record(NameSchema, ReferenceSchema).default({}),
  outputs: z.record(NameSchema, OutputSpecSchema).default({}),
  params: z.record(NameSchema, ParamValueSchema).default({}),
  dependsOn: z.array(z.string()).default([]),
  retries: z.int().min(0).default(0),
  retryBackoff: RetryBackoffSchema.prefault({}),
  timeout: DurationSchema.optional(),
  cache: z.boolean().default(true),
  env: z.record(z.string(), z.string()).default({}),
};
export const STEP_FIELDS: ReadonlySet<string> = new Set(Object.keys(stepFields));

const StepSchema = z.looseObject(stepFields).transform((step) => {
  const { name, kind, inputs, outputs, params, dependsOn, retries, retryBackoff, timeout, cache, env, ...config } =
    step;
  return {
    name,
    kind,
    /** The kind's own fields; `compilePipeline` checks them against the kind's schema. */
    config,
    inputs,
    outputs,
    params,
    dependsOn,
    retries,
    retryBackoff,
    ...(timeout === undefined ? {} : { timeoutMs: timeout }),
    cache,
    env,
  };
});
/** A step as authored, without its name: the common fields plus its kind's own fields. */
export type StepSpec = Omit<z.input<z.ZodObject<typeof stepFields>>, 'name'> & { [field: string]: unknown };
export type StepInput = StepSpec & { name: string };
export type StepDefinition = z.output<typeof StepSchema>;

const EnvironmentSchema = z.strictObject({
  params: z.record(z.string(), ParamValueSchema).optional(),
  executor: z.string().min(1).optional(),
  parallelism: z.int().positive().optional(),
  env: z.record(z.string(), z.string()).optional(),
  /**
   * Where this environment's results go (a registry, a serving endpoint, a bucket); steps see `CICLO_TARGET_<NAME>`.
   */
  targets: z.record(NameSchema, z.string()).optional(),
});
export type EnvironmentOverlay = z.output<typeof EnvironmentSchema>;

export const PipelineSchema = z.strictObject({
  name: NameSchema,
  /**
   * The project the pipeline belongs to (it must exist when a run starts): its tracked runs go into
   * the experiment named after it there, and the datasets it registers into it. Its triggers start
   * runs of it, so they belong to it too.
   */
  project: ProjectNameSchema.default(DEFAULT_PROJECT),
  description: z.string().optional(),
  params: z.record(NameSchema, ParamSpecSchema).default({}),
  parallelism: z.int().positive().optional(),
  failFast: z.boolean().default(true),
  /** Where steps run: `local` child processes (default) or `bullmq` workers on Redis. */
  executor: z.string().min(1).default('local'),
  steps: z.array(StepSchema).min(1, 'a pipeline needs at least one step'),
  environments: z.record(NameSchema, EnvironmentSchema).default({}),
  /** What starts the pipeline by itself; `ciclo server` runs them (src/triggers). */
  triggers: z.array(TriggerSpecSchema).default([]),
});
export type PipelineInput = z.input<typeof PipelineSchema>;
export type PipelineDefinition = z.output<typeof PipelineSchema>;
