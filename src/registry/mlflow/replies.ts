import { z } from 'zod';

/**
 * MLflow's registry answers as its clients read them (protobuf JSON): what the OpenAPI document
 * shows, and the types mapping.ts builds them to. They describe the answers and never re-check
 * them: the server writes MLflow's answers as built (server/app.ts).
 */

const KeyValue = z.object({ key: z.string(), value: z.string() });
/** protobuf's empty message: the answer of every call that only changes something. */
export const MlflowEmpty = z.object({}).describe('{}');

export const MlflowModelVersion = z.object({
  name: z.string(),
  /** A number as text, as in MLflow's protos. */
  version: z.string(),
  creation_timestamp: z.number(),
  last_updated_timestamp: z.number(),
  user_id: z.string(),
  current_stage: z.enum(['None', 'Staging', 'Production', 'Archived']),
  description: z.string(),
  source: z.string(),
  run_id: z.string(),
  status: z.literal('READY'),
  tags: z.array(KeyValue),
  aliases: z.array(z.string()),
  run_link: z.string(),
});

export const MlflowRegisteredModel = z.object({
  name: z.string(),
  creation_timestamp: z.number(),
  last_updated_timestamp: z.number(),
  description: z.string(),
  latest_versions: z.array(MlflowModelVersion),
  tags: z.array(KeyValue),
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })),
});

export const RegisteredModelReply = z.object({ registered_model: MlflowRegisteredModel });
export const SearchModelsReply = z.object({
  registered_models: z.array(MlflowRegisteredModel),
  next_page_token: z.string().optional(),
});
export const ModelVersionReply = z.object({ model_version: MlflowModelVersion });
export const ModelVersionsReply = z.object({ model_versions: z.array(MlflowModelVersion) });
export const SearchVersionsReply = ModelVersionsReply.extend({ next_page_token: z.string().optional() });
export const DownloadUriReply = z.object({ artifact_uri: z.string() });
