/**
 * Monitoring: baselines of registered versions, monitors over captured traffic (drift, data quality,
 * model quality from feedback, custom SQL) stored as time series, and alert rules with actions.
 */
export type { FeatureKind, FeatureSpec, MetricValue } from './types.js';
export { computeDrift, type CategoricalDriftTest, type DriftInput, type NumericDriftTest } from './statistics/drift.js';
export { computeDataQuality, type DataQualityInput } from './statistics/data-quality.js';
/** The project of a monitor, which access control judges its routes and alerts by. */
export { projectOfMonitor } from './monitors/store.js';
/** The loop in lineage: `window:MONITOR/ID -fired-> alert:ID -triggered-> run`, added by the composition root. */
export { addMonitoringLineage } from './lineage.js';
export {
  AlertService,
  MAX_ATTEMPTS,
  RETRY_DELAYS_MS,
  type AlertHistory,
  type AlertServiceDeps,
  type MonitorRef,
} from './alerts/service.js';
export {
  AlertActionSchema,
  AlertRuleSchema,
  SEVERITIES,
  type AlertAction,
  type AlertRule,
  type AlertRuleInput,
  type Severity,
} from './alerts/rule.js';
export type { ResultToJudge } from './alerts/judge.js';
export { ALERT_ACTOR, type RollbackAction } from './alerts/actions.js';
export {
  firingEventsAfter,
  lastAlertEventId,
  type AlertActionRecord,
  type AlertEvent,
  type AlertPayload,
  type FiringFilter,
  type StoredAlertState,
} from './alerts/store.js';
export { alertRoutes } from './alerts/routes.js';
export { computeModelQuality, ModelQualityInputSchema, type ModelQualityInput } from './statistics/model-quality.js';
export {
  eventToWire as alertEventToWire,
  historyToWire as alertHistoryToWire,
  stateToWire as alertStateToWire,
} from './alerts/wire.js';
export {
  MonitorService,
  type Monitor,
  type MonitorRun,
  type MonitorServiceDeps,
  type MonitorToApply,
} from './monitors/service.js';
export { MonitorSchema, parseMonitor, parseMonitorYaml, type MonitorDefinition } from './monitors/definition.js';
export type { MonitorResult, SeriesPoint } from './monitors/result-store.js';
export { metricToWire, monitorResultToWire, monitorToWire } from './monitors/wire.js';
export { MonitorScheduler, type MonitorSchedulerOptions } from './monitors/scheduler.js';
export { registerMonitoringGauges } from './monitors/gauges.js';
export { monitorRoutes, type MonitorRouteOptions } from './monitors/routes.js';
export { BaselineService, type BaselineDeps } from './baselines/service.js';
export { BaselineBlobReferences } from './baselines/store.js';
export {
  ExplicitDatasetsSchema,
  type Baseline,
  type BaselineDataset,
  type BaselineRole,
  type ExplicitDatasets,
  type PredictionSummary,
} from './baselines/types.js';
export { compareOnEvaluationData, type ChampionComparisonDeps } from './baselines/champion-comparison.js';
