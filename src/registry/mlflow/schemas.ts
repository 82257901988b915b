import { z } from 'zod';
import { QueryInt, QueryList } from '../../http/index.js';

/**
 * Requests of MLflow's model registry API as its clients send them: protobuf JSON, snake_case,
 * version numbers as strings (or numbers), repeated fields as arrays or repeated query keys.
 * Unknown fields are dropped rather than refused, as on the tracking half.
 */

const KeyValues = z.array(z.object({ key: z.string(), value: z.string() })).optional();
const RUN_LINK_LENGTH = 500;
/** MLflow's versions are strings in its protos; numbers are accepted too. */
export const VersionNumber = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be a version number')])
  .transform(Number)
  .pipe(z.number().int().positive('must be a version number from 1'));

export const ModelName = z.object({ name: z.string() });
export const CreateModelRequest = z.object({ name: z.string(), tags: KeyValues, description: z.string().optional() });
export const RenameModelRequest = z.object({ name: z.string(), new_name: z.string() });
export const UpdateModelRequest = z.object({ name: z.string(), description: z.string().optional() });
export const SearchRequest = z.object({
  filter: z.string().optional(),
  max_results: QueryInt.optional(),
  order_by: QueryList.optional(),
  page_token: z.string().optional(),
});
export const LatestVersionsRequest = z.object({ name: z.string(), stages: QueryList.optional() });
export const ModelTagRequest = z.object({ name: z.string(), key: z.string(), value: z.string() });
export const ModelTagKeyRequest = z.object({ name: z.string(), key: z.string() });
export const SetAliasRequest = z.object({ name: z.string(), alias: z.string(), version: VersionNumber });
export const AliasRequest = z.object({ name: z.string(), alias: z.string() });

export const CreateVersionRequest = z.object({
  name: z.string(),
  source: z.string(),
  run_id: z.string().optional(),
  tags: KeyValues,
  /** Not stored (versions link to their run by id); capped as MLflow's column is. */
  run_link: z.string().max(RUN_LINK_LENGTH, `must be at most ${RUN_LINK_LENGTH} characters`).optional(),
  description: z.string().optional(),
});
export const VersionRequest = z.object({ name: z.string(), version: VersionNumber });
export const UpdateVersionRequest = z.object({
  name: z.string(),
  version: VersionNumber,
  description: z.string().optional(),
});
export const VersionTagRequest = z.object({
  name: z.string(),
  version: VersionNumber,
  key: z.string(),
  value: z.string(),
});
export const VersionTagKeyRequest = z.object({ name: z.string(), version: VersionNumber, key: z.string() });
/** `archive_existing_versions` is read and has no effect: each stage holds one version (mapping.ts `stageChange`). */
export const TransitionStageRequest = z.object({
  name: z.string(),
  version: VersionNumber,
  stage: z.string(),
  archive_existing_versions: z.boolean().optional(),
});
