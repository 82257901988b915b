import { openLocalContext, type CicloContext } from '../app/context.js';
import { loadConfig } from '../common/config.js';
import { withActor } from '../governance/index.js';

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

export { openLocalContext };
