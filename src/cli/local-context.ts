import { openContext, type CicloContext } from '../app/context.js';
import { loadConfig, type CicloConfig } from '../common/config.js';

/**
 * The embedded store that CICLO_HOME / CICLO_DATABASE_URL name, whatever CICLO_TRACKING_URI says:
 * pipelines, datasets, features, lineage, models and the audit log are not served to the SDK by a
 * tracking server, and some read local files, so their commands always open the store themselves.
 */
export async function openLocalContext(config: CicloConfig = loadConfig()): Promise<CicloContext> {
  const { trackingUri: _ignored, ...local } = config;
  return openContext(local);
}

/** `openLocalContext` around one command: closed afterwards, whatever happened. */
export async function withLocalContext<T>(fn: (context: CicloContext) => Promise<T>): Promise<T> {
  const context = await openLocalContext();
  try {
    return await fn(context);
  } finally {
    await context.close();
  }
}
