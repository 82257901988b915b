import { SIGNATURE_HEADER, signBody } from '../../common/hmac-signature.js';
import { actionType, type AlertAction } from './rule.js';
import type { AlertPayload } from './store.js';

/**
 * What each action does with an alert. Each one either completes or throws; the service records the
 * outcome and retries with backoff, so nothing here retries on its own.
 */

/** Rolls a deployment back to the version served before (the composition root hands in DeploymentService's). */
export type RollbackAction = (deployment: string, actor: string, reason: string) => Promise<void>;

export interface ActionDeps {
  /** CICLO_NATS_URL and CICLO_REDIS_URL, the defaults of actions that name no url. */
  natsUrl?: string;
  redisUrl?: string;
  /** Where a webhook's `secret_env` is read. */
  env: NodeJS.ProcessEnv;
  rollback?: RollbackAction;
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
}

/** The README's defaults for CICLO_NATS_URL and CICLO_REDIS_URL, as message triggers use them. */
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The actor of what alerts do by themselves (fire, resolve, roll back) in the audit log and deployment history. */
export const ALERT_ACTOR = 'ciclo-alerts';

export async function performAction(action: AlertAction, payload: AlertPayload, deps: ActionDeps): Promise<void> {
  const body = JSON.stringify(payload);
  if (action.webhook) return postWebhook(action.webhook, body, deps);
  if (action.nats)
    return publishNats(action.nats.subject, action.nats.url ?? deps.natsUrl ?? DEFAULT_NATS_URL, body, deps);
  if (action.redis)
    return publishRedis(action.redis.channel, action.redis.url ?? deps.redisUrl ?? DEFAULT_REDIS_URL, body, deps);
  if (action.rollback) return rollBack(action.rollback.deployment ?? payload.deployment, payload, deps);
  throw new Error(`unknown action ${actionType(action)}`);
}

async function postWebhook(
  webhook: NonNullable<AlertAction['webhook']>,
  body: string,
  deps: ActionDeps,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (webhook.secret_env !== undefined) {
    const secret = deps.env[webhook.secret_env];
    // Sending unsigned would make the receiver refuse it, or worse, accept it: fail and say why instead.
    if (!secret) throw new Error(`${webhook.secret_env} is not set: the webhook's body cannot be signed`);
    headers[SIGNATURE_HEADER] = signBody(secret, body);
  }
  const response = await fetch(webhook.url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(deps.timeoutMs),
  });
  // The answer's body is not read: only its status says whether the alert was taken.
  await response.body?.cancel();
  if (!response.ok) throw new Error(`webhook ${webhook.url} answered ${response.status}`);
}

async function publishNats(subject: string, url: string, body: string, deps: ActionDeps): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const connection = await connect({
    servers: url,
    name: 'ciclo-alerts',
    timeout: deps.timeoutMs,
    reconnect: false,
  });
  try {
    connection.publish(subject, body);
    // Published only once the server has it: a flush round-trips.
    await connection.flush();
  } finally {
    await connection.close();
  }
}

async function publishRedis(channel: string, url: string, body: string, deps: ActionDeps): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: deps.timeoutMs,
    maxRetriesPerRequest: 0,
    // One attempt: the service's backoff decides when to try again, not ioredis's reconnection loop.
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.publish(channel, body);
    await client.quit();
  } finally {
    client.disconnect();
  }
}

async function rollBack(deployment: string, payload: AlertPayload, deps: ActionDeps): Promise<void> {
  if (deps.rollback === undefined) throw new Error('this process cannot roll deployments back');
  const value = payload.value === null ? 'no value' : String(payload.value);
  const { monitor, rule, metric, condition, threshold } = payload;
  const reason = `alert ${monitor}/${rule}: ${metric} ${value} ${condition} ${threshold}`;
  await deps.rollback(deployment, ALERT_ACTOR, reason);
}
