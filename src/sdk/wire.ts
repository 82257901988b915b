import { encodeMetricValue, MetricValueSchema, toMetricNumber, type LogBatchInput, type Metric, type Page, type Run } from '../tracking/index.js';

/** JSON has no NaN or ±Infinity: metric values travel as "NaN", "Infinity", "-Infinity" both ways. */
export function encodeBatch(batch: LogBatchInput): LogBatchInput {
  if (!batch.metrics) return batch;
  return {
    ...batch,
    metrics: batch.metrics.map((m) => (typeof m.value === 'number' ? { ...m, value: encodeMetricValue(m.value) } : m)),
  };
}

export function decodeMetric(metric: Metric): Metric {
  const value: unknown = metric.value;
  return typeof value === 'string' ? { ...metric, value: toMetricNumber(MetricValueSchema.parse(value)) } : metric;
}

export function decodeRun(run: Run): Run {
  return { ...run, data: { ...run.data, metrics: run.data.metrics.map(decodeMetric) } };
}

export function decodePage<T>(page: Page<T>, decode: (item: T) => T): Page<T> {
  return { ...page, items: page.items.map(decode) };
}
