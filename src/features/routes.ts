import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CicloConfig } from '../common/config.js';
import { lookupOnline, OnlineLookupResponseSchema, OnlineLookupSchema, projectOfOnlineView } from './lookup.js';
import { openOnlineStore, type OnlineStore } from './online/index.js';
import { authorizedId, DEFAULT_PROJECT, requestField, type RouteAccess } from '../governance/access/route-access.js';

export interface FeatureRoutesOptions {
  /** Where the online store is (CICLO_ONLINE_STORE, or `<home>/online.db`). */
  config: Pick<CicloConfig, 'home' | 'onlineStore'>;
  /** A store to use instead of opening one from the config (tests, embedding). */
  store?: OnlineStore;
}

/**
 * `POST /features/online`: each entity's latest materialized features. The store is opened on the
 * first lookup (a server that serves no features never creates `online.db`) and closed with the app.
 * The lookup is judged in the view's project, as the online store recorded it when the view was
 * materialized (a view not materialized: `default`, then the handler's 404).
 */
export const featureRoutes: FastifyPluginAsyncZod<FeatureRoutesOptions> = async (app, options) => {
  let store: OnlineStore | undefined = options.store;
  const owned = options.store === undefined;
  const onlineStore = (): OnlineStore => (store ??= openOnlineStore(options.config));
  app.addHook('onClose', async () => {
    if (owned && store) await store.close();
  });
  const viewAccess: RouteAccess = {
    action: 'read',
    resource: async (request) => {
      const view = requestField(request, 'body', 'view');
      const project = view === undefined || view === '' ? undefined : await projectOfOnlineView(onlineStore(), view);
      return { kind: 'project', project: project ?? DEFAULT_PROJECT };
    },
  };
  app.post(
    '/features/online',
    { schema: { tags: ['features'], body: OnlineLookupSchema, response: { 200: OnlineLookupResponseSchema } }, config: { access: viewAccess } },
    async (request) => lookupOnline(onlineStore(), request.body, Date.now(), authorizedId(request, 'project')),
  );
};
