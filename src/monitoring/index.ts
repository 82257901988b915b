/**
 * Monitoring: baselines of registered versions, monitors over captured traffic (drift, data quality,
 * model quality from feedback, custom SQL) stored as time series, and alert rules with actions.
 */
export type { FeatureKind, FeatureSpec, MetricValue } from './types.js';
/** The project of a monitor, which access control judges its routes and alerts by. */
export { projectOfMonitor } from './monitors/store.js';
