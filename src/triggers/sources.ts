import { alertSource } from './alert.js';
import { cronSource } from './cron.js';
import { datasetSource } from './dataset.js';
import { gitSource } from './git.js';
import { natsSource } from './nats.js';
import { pathSource } from './path.js';
import { redisSource } from './redis.js';
import type { TriggerSpec } from '../pipelines/index.js';
import type { SourceContext, TriggerSource } from './types.js';
import { webhookSource } from './webhook.js';

/** The source that runs a trigger of each type. */
export function createSource(context: SourceContext, env: NodeJS.ProcessEnv): TriggerSource {
  const { spec } = context.target;
  const typed = <S extends TriggerSpec>(s: S) => ({ ...context, target: { ...context.target, spec: s } });
  switch (spec.type) {
    case 'cron':
      return cronSource(typed(spec));
    case 'path':
      return pathSource(typed(spec));
    case 'dataset':
      return datasetSource(typed(spec));
    case 'git':
      return gitSource(typed(spec));
    case 'webhook':
      return webhookSource(typed(spec), env);
    case 'redis':
      return redisSource(typed(spec));
    case 'nats':
      return natsSource(typed(spec));
    case 'alert':
      return alertSource(typed(spec));
  }
}
