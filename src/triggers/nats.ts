import { connect, type NatsConnection } from '@nats-io/transport-node';
import { messagePayload } from './payload.js';
import { redactUrl } from './redis.js';
import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

type NatsSpec = Extract<TriggerSpec, { type: 'nats' }>;

/** README's default for CICLO_NATS_URL. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * Subscribes to a subject (wildcards allowed); each message fires with its body as payload. Core NATS
 * keeps no backlog, like Redis pub/sub.
 */
export function natsSource(context: SourceContext<NatsSpec>): TriggerSource {
  const { spec } = context.target;
  const url = spec.url ?? context.config.natsUrl ?? DEFAULT_NATS_URL;
  let connection: NatsConnection | undefined;
  const inFlight = new Set<Promise<unknown>>();
  return {
    describe: () => `subscribes to NATS subject "${spec.subject}" at ${redactUrl(url)}`,
    start: async () => {
      connection = await connect({ servers: url, name: `ciclo-trigger-${spec.name}` });
      connection.subscribe(spec.subject, {
        callback: (error, message) => {
          if (error) return context.report(error);
          const payload = messagePayload(message.string());
          const firing = context.fire(payload).catch(context.report);
          inFlight.add(firing);
          void firing.finally(() => inFlight.delete(firing));
        },
      });
      // The subscription is registered on the server once a flush round-trips; only then is it listening.
      await connection.flush();
    },
    stop: async () => {
      const open = connection;
      connection = undefined;
      if (open) await open.drain().catch(() => open.close());
      await Promise.allSettled(inFlight);
    },
  };
}
