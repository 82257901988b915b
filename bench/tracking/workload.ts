/** The metric rows every log-batch benchmark sends: 10 keys, 100 steps per request. */
export const METRICS_PER_REQUEST = 1000;
const KEYS = 10;

export interface MetricPoint {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export function metricBatch(requestIndex: number): MetricPoint[] {
  const stepsPerRequest = METRICS_PER_REQUEST / KEYS;
  const points: MetricPoint[] = [];
  for (let i = 0; i < METRICS_PER_REQUEST; i++) {
    const step = requestIndex * stepsPerRequest + Math.floor(i / KEYS);
    points.push({ key: `m${i % KEYS}`, value: Math.sin(step + i), timestamp: 1_700_000_000_000 + step, step });
  }
  return points;
}
