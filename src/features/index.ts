export {
  defineFeatureView,
  loadFeatureViewFile,
  loadFeatureViewYaml,
  parseTtl,
  prepareView,
  FeatureViewSchema,
  type FeatureSpec,
  type FeatureView,
  type FeatureViewInput,
  type PrepareOptions,
  type PreparedView,
  type ViewSource,
} from './view.js';
export {
  buildHistoricalQuery,
  getHistorical,
  writeHistorical,
  DEFAULT_TIMESTAMP_COLUMN,
  type EntitySource,
  type HistoricalQuery,
  type HistoricalRequest,
} from './historical.js';
export { materialize, type MaterializeOptions, type MaterializeResult } from './materialize.js';
export {
  lookupOnline,
  projectOfOnlineView,
  OnlineLookupSchema,
  OnlineLookupResponseSchema,
  type OnlineLookupRequest,
  type OnlineLookupResponse,
  type OnlineResult,
} from './lookup.js';
export * from './online/index.js';
export {
  FeatureService,
  type FeatureServiceOptions,
  type HistoricalViewsRequest,
  type LookupOptions,
  type MaterializedView,
} from './service.js';
export { DEFAULT_VIEWS_DIR, resolveViewFile, type ViewFiles } from './view-files.js';
export { featureRoutes, type FeatureRoutesOptions } from './routes.js';
