/**
 * Triggers: what starts a pipeline by itself (cron, paths, datasets, git, webhooks, Redis, NATS), run by
 * `ciclo server --pipelines`, with durable trigger state (`trigger_state`). The `triggers:` list a pipeline declares
 * is part of its definition: schema and checks live with the pipelines' definition, compiled with the rest.
 */
export { TriggerRuntime, startTriggers, type TriggerRuntimeOptions } from './runtime.js';
export { triggerRoutes } from './routes.js';
export { findPipelineFiles } from './discover.js';
export { nextCronRuns } from './cron.js';
export { signBody, verifySignature, SIGNATURE_HEADER } from './webhook.js';
export { WebhookRefusedError, type WebhookRefusalCode } from './errors.js';
export type { TriggerCounters } from './state-store.js';
export type { FireOutcome, RegisteredTrigger, TriggerEvent, TriggerEventListener } from './types.js';
