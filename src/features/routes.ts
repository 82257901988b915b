import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { OnlineLookupResponseSchema, OnlineLookupSchema } from './lookup.js';
import type { FeatureService } from './service.js';
import { authorizedId, DEFAULT_PROJECT, requestField, type RouteAccess } from '../governance/index.js';

export interface FeatureRoutesOptions {
  /** The context's feature service: it opens the online store on the first lookup and closes it with the context. */
  features: FeatureService;
}

/**
 * `POST /features/online`: each entity's latest materialized features. A server that serves no
 * features never creates `online.db` (the service opens the store on the first lookup).
 * The lookup is judged in the view's project, as the online store recorded it when the view was
 * materialized (a view not materialized: `default`, then the handler's 404).
 */
export const featureRoutes: FastifyPluginAsyncZod<FeatureRoutesOptions> = async (app, { features }) => {
  const viewAccess: RouteAccess = {
    action: 'read',
    resource: async (request) => {
      const view = requestField(request, 'body', 'view');
      const project = view === undefined || view === '' ? undefined : await features.projectOfOnlineView(view);
      return { kind: 'project', project: project ?? DEFAULT_PROJECT };
    },
  };
  app.post(
    '/features/online',
    {
      schema: { tags: ['features'], body: OnlineLookupSchema, response: { 200: OnlineLookupResponseSchema } },
      config: { access: viewAccess },
    },
    async (request) => features.lookupOnline(request.body, { judgedProject: authorizedId(request, 'project') }),
  );
};
