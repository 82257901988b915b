import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CicloConfig } from '../common/config.js';
import { lookupOnline, OnlineLookupResponseSchema, OnlineLookupSchema } from './lookup.js';
import { openOnlineStore, type OnlineStore } from './online/index.js';
import { access } from '../governance/access/route-access.js';

export interface FeatureRoutesOptions {
  /** Where the online store is (CICLO_ONLINE_STORE, or `<home>/online.db`). */
  config: Pick<CicloConfig, 'home' | 'onlineStore'>;
  /** A store to use instead of opening one from the config (tests, embedding). */
  store?: OnlineStore;
}

/**
 * `POST /features/online`: each entity's latest materialized features. The store is opened on the
 * first lookup (a server that serves no features never creates `online.db`) and closed with the app.
 */
export const featureRoutes: FastifyPluginAsyncZod<FeatureRoutesOptions> = async (app, options) => {
  let store: OnlineStore | undefined = options.store;
  const owned = options.store === undefined;
  app.addHook('onClose', async () => {
    if (owned && store) await store.close();
  });
  app.post(
    '/features/online',
    { schema: { tags: ['features'], body: OnlineLookupSchema, response: { 200: OnlineLookupResponseSchema } }, config: { access: access.shared('read') } },
    async (request) => {
      store ??= openOnlineStore(options.config);
      return lookupOnline(store, request.body);
    },
  );
};
