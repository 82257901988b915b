import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DialectName } from '../store/index.js';
import { CICLO_VERSION } from './version.js';
import { access } from '../governance/index.js';

const HealthReply = z.object({
  status: z.literal('ok'),
  version: z.string(),
  database: z.enum(['sqlite', 'postgres']),
});

/** Liveness for load balancers and for clients checking what they talk to. */
export const healthRoutes: FastifyPluginAsyncZod<{ database: DialectName }> = async (app, { database }) => {
  app.get(
    '/health',
    {
      schema: { tags: ['server'], response: { 200: HealthReply } },
      config: { access: access.public('liveness for load balancers') },
    },
    async () => ({
      status: 'ok' as const,
      version: CICLO_VERSION,
      database,
    }),
  );
};
