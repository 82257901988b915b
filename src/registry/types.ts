import { z } from 'zod';
import { plainText } from '../common/validation.js';
import type { ModelVersionStatus } from '../store/index.js';
import type { ModelSignature } from './package.js';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export type { ModelVersionStatus };

// No '@' or '/': they separate the name from an alias or a version in a reference.
export const ModelNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,249}$/,
    'must be letters, digits, ".", "_" or "-" (starting with a letter or digit), at most 250 characters',
  );

// `latest` and `v3` would read as versions, as in MLflow.
export const AliasSchema = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{0,99}$/,
    'must start with a letter and hold letters, digits, "_" or "-" (at most 100 characters)',
  )
  .refine((alias) => alias.toLowerCase() !== 'latest' && !/^v\d+$/i.test(alias), {
    message: "'latest' and 'v<number>' are reserved",
  });

export const EnvironmentSchema = z.enum(ENVIRONMENTS);

export const TagKeySchema = plainText(z.string().min(1).max(250), 'name');
export const TagValueSchema = plainText(z.string().max(5000), 'value');
export const DescriptionSchema = plainText(z.string().max(5000), 'value');
const TagsSchema = z.record(TagKeySchema, TagValueSchema);
// The same shape as project names elsewhere: what `X-Ciclo-Project` carries.
export const ProjectSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be letters, digits, ".", "_" or "-" (at most 100 characters)');

export const RegisterSchema = z.strictObject({
  runId: z.string().min(1),
  path: z.string(),
  description: DescriptionSchema.optional(),
  tags: TagsSchema.optional(),
  /** Only for a model registered for the first time; default: the project of the run's experiment. */
  project: ProjectSchema.optional(),
});
export type RegisterOptions = z.input<typeof RegisterSchema>;

export const CreateModelSchema = z.strictObject({
  description: DescriptionSchema.optional(),
  tags: TagsSchema.optional(),
  project: ProjectSchema.optional(),
});
export type CreateModelOptions = z.input<typeof CreateModelSchema>;

export const MAX_RESULTS_DEFAULT = 100;
export const MAX_RESULTS_LIMIT = 1000;

export const SearchModelsSchema = z.strictObject({
  /** MLflow's filter: `name LIKE '…'`, `name = '…'`, `tags.key = '…'`, joined with AND. */
  filter: z.string().max(10_000).optional(),
  maxResults: z.number().int().min(1).max(MAX_RESULTS_LIMIT).default(MAX_RESULTS_DEFAULT),
  pageToken: z.string().optional(),
  /** `name` or `last_updated_timestamp`, each optionally `ASC`/`DESC`; default `name ASC`. */
  orderBy: z.array(z.string()).max(2).default([]),
  /** Only models of these projects (the server passes the ones the caller may read); absent: all. */
  projects: z.array(z.string()).optional(),
});
export type SearchModelsOptions = z.input<typeof SearchModelsSchema>;

export const SearchVersionsSchema = z.strictObject({
  /** MLflow's filter: `name = '…'`, `run_id = '…'`, `run_id IN ('…', …)`, joined with AND. */
  filter: z.string().max(10_000).optional(),
  maxResults: z.number().int().min(1).max(MAX_RESULTS_LIMIT).default(MAX_RESULTS_DEFAULT),
  pageToken: z.string().optional(),
  /** `name`, `version`, `last_updated_timestamp` or `creation_timestamp`, each optionally `ASC`/`DESC`. */
  orderBy: z.array(z.string()).max(3).default([]),
  /** Only models of these projects (the server passes the ones the caller may read); absent: all. */
  projects: z.array(z.string()).optional(),
});
export type SearchVersionsOptions = z.input<typeof SearchVersionsSchema>;

/** One page of a search; `nextPageToken` is opaque and absent on the last page. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** Where a version came from, as recorded when it was registered. */
export interface ModelLineage {
  run: string;
  /** The pipeline run the model's run is, or is a step of; null when logged outside a pipeline. */
  pipeline_run: string | null;
  git_commit: string | null;
  datasets: { name: string; digest: string; context: string }[];
}

export interface ModelVersion {
  name: string;
  version: number;
  runId: string;
  /** The package's folder among the run's artifacts. */
  source: string;
  /** The digest of its `ciclo-model.json` (or `MLmodel`); null when it has no verified package (package-status.ts). */
  manifestDigest: string | null;
  /** The package's flavor; `unknown` without a verified package. */
  flavor: string;
  signature: ModelSignature;
  /** The run's latest metrics when the version was registered; null stands for NaN or ±Infinity. */
  metrics: Record<string, number | null>;
  lineage: ModelLineage;
  description: string | null;
  status: ModelVersionStatus;
  tags: Record<string, string>;
  aliases: string[];
  stages: Environment[];
  createdTime: number;
  updatedTime: number;
  /** Who registered it. */
  createdBy: string;
}

export interface RegisteredModel {
  name: string;
  /** The project it belongs to (access control reads it). */
  project: string;
  description: string | null;
  tags: Record<string, string>;
  latestVersion: number | null;
  versionCount: number;
  /** alias → version */
  aliases: Record<string, number>;
  /** environment → version */
  stages: Partial<Record<Environment, number>>;
  createdTime: number;
  updatedTime: number;
}

/** `NAME` (latest version), `NAME/3` or `NAME@alias`. */
export type ModelReference = { name: string; version?: number; alias?: string };
