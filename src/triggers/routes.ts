import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../common/errors.js';
import type { PipelineService } from '../pipelines/index.js';
import { WebhookRefusedError } from './errors.js';
import { TriggerRuntime } from './runtime.js';
import { SIGNATURE_HEADER } from './webhook.js';
import { access } from '../governance/index.js';

const FireAnswer = z.union([
  z.object({ outcome: z.enum(['started', 'queued']), pipeline_run_id: z.string() }),
  z.object({ outcome: z.literal('dropped') }),
]);

/** The error shape of every route, sent here by the route itself (a refusal is not thrown past it). */
const RefusalBody = z.object({
  error_code: z.string(),
  message: z.string(),
  where: z.string().optional(),
  hint: z.string().optional(),
});

/**
 * `POST /triggers/:name/fire`: a webhook trigger of the pipelines the server runs. The signature
 * covers the raw bytes, so in this plugin (only) bodies arrive unparsed, whatever their type; the
 * runtime parses JSON after checking the signature. 202 because the run is started (or queued), not
 * finished.
 */
export const triggerRoutes: FastifyPluginAsyncZod<{ pipelines: PipelineService }> = async (app, { pipelines }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/triggers/:name/fire',
    {
      schema: {
        tags: ['triggers'],
        params: z.object({ name: z.string().min(1) }),
        body: z.unknown().describe('The payload: JSON, or nothing; the signature covers its raw bytes'),
        response: { 202: FireAnswer, 401: RefusalBody, 503: RefusalBody },
      },
      config: { access: access.public('a webhook trigger checks its own HMAC signature') },
    },
    async (request, reply) => {
      const { name } = request.params;
      const runtime = TriggerRuntime.of(pipelines);
      if (!runtime) {
        throw new NotFoundError(`no webhook trigger named "${name}"`, {
          where: 'name',
          hint: 'this server runs no triggers; start it with --pipelines (or CICLO_PIPELINES)',
        });
      }
      const header = request.headers[SIGNATURE_HEADER];
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        const fired = await runtime.fireWebhook(name, body, Array.isArray(header) ? header[0] : header);
        if (fired.outcome === 'dropped') return reply.code(202).send(fired);
        return reply.code(202).send({ outcome: fired.outcome, pipeline_run_id: fired.pipelineRunId });
      } catch (error) {
        if (!(error instanceof WebhookRefusedError)) throw error;
        return reply.code(error.status).send({ error_code: error.code, message: error.message, hint: error.hint });
      }
    },
  );
};
