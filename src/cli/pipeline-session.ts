import type { CicloContext } from '../app/context.js';
import { openLocalContext } from './local-context.js';

export interface PipelineSession {
  context: CicloContext;
  /** Where the run's steps log over REST (the session's own server), when one was started. */
  trackingUri?: string;
}

/**
 * Opens the metadata store for a pipeline command. Commands that run steps also serve the REST API
 * on a free loopback port for as long as they run, so steps in any language (a Python script, a
 * shell command) can log metrics and artifacts to their tracked run through CICLO_TRACKING_URI.
 * Pipeline state is always in the store CICLO_DATABASE_URL/CICLO_HOME name, never behind a server.
 */
export async function withPipelineSession<T>(
  options: { serveSteps: boolean },
  fn: (session: PipelineSession) => Promise<T>,
): Promise<T> {
  const context = await openLocalContext();
  let server: { url: string; close(): Promise<void> } | undefined;
  try {
    if (options.serveSteps) {
      // Loaded here, not at the top: commands that only read pay nothing for Fastify.
      const { startServer } = await import('../server/index.js');
      server = await startServer({ context, host: '127.0.0.1', port: 0 });
      context.pipelines.setStepTrackingUri(server.url);
    }
    return await fn({ context, ...(server ? { trackingUri: server.url } : {}) });
  } finally {
    await server?.close();
    await context.close();
  }
}
