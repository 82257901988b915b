import { openContext, type CicloContext } from '../app/context.js';
import { loadConfig, type CicloConfig } from '../common/config.js';
import { withActor } from '../governance/index.js';

/**
 * The embedded store that CICLO_HOME / CICLO_DATABASE_URL name, whatever CICLO_TRACKING_URI says:
 * pipelines, datasets, features, lineage, models and the audit log are not served to the SDK by a
 * tracking server, and some read local files, so their commands always open the store themselves.
 */
export async function openLocalContext(config: CicloConfig = loadConfig()): Promise<CicloContext> {
  const { trackingUri: _ignored, ...local } = config;
  return openContext(local);
}

/**
 * `openLocalContext` around one command: closed afterwards, whatever happened. With CICLO_TOKEN set,
 * the command acts as the token's user (the audit log's actor, the approver four-eyes compares);
 * otherwise as the operating-system user.
 */
export async function withLocalContext<T>(fn: (context: CicloContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const context = await openLocalContext(config);
  try {
    if (config.token === undefined) return await fn(context);
    const principal = await context.access.authenticate(config.token);
    return await withActor({ actor: principal.user }, () => fn(context));
  } finally {
    await context.close();
  }
}
