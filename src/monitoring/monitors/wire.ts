import type { MetricValue } from '../types.js';
import type { MonitorResult } from './result-store.js';
import type { Monitor } from './service.js';

/** A monitor as `/api/v1` and `--json` show it (snake_case). */
export function monitorToWire(monitor: Monitor) {
  return {
    name: monitor.name,
    project: monitor.project,
    deployment: monitor.deployment,
    definition: monitor.parsed,
    created_by: monitor.createdBy,
    created_time: monitor.createdTime,
    updated_time: monitor.updatedTime,
  };
}

export function metricToWire(metric: MetricValue) {
  return {
    metric: metric.metric,
    feature: metric.feature ?? null,
    segment: metric.segment ?? null,
    value: metric.value,
    reason: metric.reason ?? null,
  };
}

export function monitorResultToWire(result: MonitorResult) {
  return {
    id: result.id,
    monitor: result.monitor,
    time: result.time,
    window_start: result.windowStart,
    window_end: result.windowEnd,
    rows: result.rows,
    status: result.status,
    message: result.message,
    details: result.details,
    metrics: result.metrics.map(metricToWire),
  };
}
