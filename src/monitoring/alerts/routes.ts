import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  authorizedId,
  currentActor,
  projectFilter,
  requestField,
  type Action,
  type RouteAccess,
} from '../../governance/index.js';
import { pageReply } from '../../http/index.js';
import type { AlertService } from './service.js';
import {
  AlertEventReply,
  AlertHistoryReply,
  AlertStateReply,
  eventToWire,
  historyToWire,
  stateToWire,
} from './wire.js';

const RuleParams = z.object({ monitor: z.string(), rule: z.string() });
const ListQuery = z.object({
  monitor: z.string().optional(),
  state: z.enum(['OK', 'FIRING'], { error: 'must be OK or FIRING' }).optional(),
});
const AckBody = z.strictObject({ comment: z.string().max(1000).optional() }).nullish();
const tags = ['alerts'];

/** The monitor the path names, judged in its project (one that does not exist: `default`, then a 404). */
function monitorAccess(action: Action): RouteAccess {
  return {
    action,
    resource: (request) => ({ kind: 'monitor', name: requestField(request, 'params', 'monitor') ?? '' }),
  };
}

/** A list for one monitor is judged in its project; across monitors it holds those of the projects the caller reads. */
const listAccess: RouteAccess = {
  action: 'read',
  resource: (request) => {
    const monitor = requestField(request, 'query', 'monitor');
    return monitor === undefined ? { kind: 'self' } : { kind: 'monitor', name: monitor };
  },
};

export interface AlertRouteOptions {
  alerts: AlertService;
}

/** `/api/v1/alerts` (docs/monitoring.md): alert states, one rule's history, acknowledging a firing alert. */
export const alertRoutes: FastifyPluginAsyncZod<AlertRouteOptions> = async (app, { alerts }) => {
  app.get(
    '/alerts',
    {
      schema: { tags, querystring: ListQuery, response: { 200: pageReply(AlertStateReply) } },
      config: { access: listAccess },
    },
    async (request) => {
      const { state } = request.query;
      const filter =
        request.query.monitor === undefined
          ? projectFilter(await request.readableProjects())
          : { monitor: authorizedId(request, 'monitor') };
      return { items: (await alerts.list({ ...filter, ...(state === undefined ? {} : { state }) })).map(stateToWire) };
    },
  );

  app.get(
    '/alerts/:monitor/:rule',
    {
      schema: { tags, params: RuleParams, response: { 200: AlertHistoryReply } },
      config: { access: monitorAccess('read') },
    },
    async (request) => historyToWire(await alerts.show(authorizedId(request, 'monitor'), request.params.rule)),
  );

  app.post(
    '/alerts/:monitor/:rule/ack',
    {
      schema: { tags, params: RuleParams, body: AckBody, response: { 200: AlertEventReply } },
      config: { access: monitorAccess('write') },
    },
    async (request) => {
      const comment = request.body?.comment;
      const event = await alerts.ack(
        authorizedId(request, 'monitor'),
        request.params.rule,
        currentActor().actor,
        comment,
      );
      return eventToWire(event);
    },
  );
};
