import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

// The signature lives in common/ because alert webhooks (src/monitoring) sign what they send with it too.
export { SIGNATURE_HEADER, signBody, verifySignature } from '../common/hmac-signature.js';

export type WebhookSpec = Extract<TriggerSpec, { type: 'webhook' }>;

/** Webhooks listen through the server's route (routes.ts); the source only describes itself. */
export function webhookSource(context: SourceContext<WebhookSpec>, env: NodeJS.ProcessEnv): TriggerSource {
  const { spec } = context.target;
  return {
    describe: () => {
      const missing = env[spec.secretEnv] ? '' : ` — ${spec.secretEnv} is not set: firings answer 503 until it is`;
      return `POST /api/v1/triggers/${spec.name}/fire signed with $${spec.secretEnv}${missing}`;
    },
    start: async () => undefined,
    stop: async () => undefined,
  };
}
