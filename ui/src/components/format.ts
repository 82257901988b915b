import type { Metric } from '../api/types.js';

export function formatTime(epochMs: number | null): string {
  if (epochMs === null) return '—';
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19);
}

/** A metric value as the wire carries it: a number, or "NaN" / "Infinity" / "-Infinity". */
export function metricNumber(value: Metric['value']): number {
  return typeof value === 'number' ? value : Number(value);
}

export function formatMetric(value: Metric['value'] | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
}

export function formatDuration(start: number, end: number | null): string {
  if (end === null) return 'running';
  const seconds = Math.max(0, Math.round((end - start) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}
