import { Redis } from 'ioredis';
import { messagePayload } from './payload.js';
import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';

type RedisSpec = Extract<TriggerSpec, { type: 'redis' }>;

/** README's default for CICLO_REDIS_URL. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * SUBSCRIBEs to a channel; each message fires with its body as payload. Pub/sub keeps no backlog: a
 * message published while the server is down is not seen. One connection per trigger, because a
 * subscribed Redis connection can do nothing else.
 */
export function redisSource(context: SourceContext<RedisSpec>): TriggerSource {
  const { spec } = context.target;
  const url = spec.url ?? context.config.redisUrl ?? DEFAULT_REDIS_URL;
  let client: Redis | undefined;
  const inFlight = new Set<Promise<unknown>>();
  return {
    describe: () => `subscribes to Redis channel "${spec.channel}" at ${redactUrl(url)}`,
    start: async () => {
      client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
      client.on('error', (error: unknown) => context.report(error));
      client.on('message', (channel: string, message: string) => {
        if (channel !== spec.channel) return;
        const firing = context.fire(messagePayload(message)).catch(context.report);
        inFlight.add(firing);
        void firing.finally(() => inFlight.delete(firing));
      });
      try {
        await client.connect();
        await client.subscribe(spec.channel);
      } catch (error) {
        // A failed start is not stopped by the runtime; without this ioredis would keep reconnecting.
        client.disconnect();
        client = undefined;
        throw error;
      }
    },
    stop: async () => {
      const open = client;
      client = undefined;
      if (open) await open.quit().catch(() => open.disconnect());
      await Promise.allSettled(inFlight);
    },
  };
}

/** URLs can carry a password; startup lines and errors must not. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
