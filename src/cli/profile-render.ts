import type { ColumnProfile, DatasetProfile } from '../data/index.js';
import { formatNumber, renderTable } from './format.js';

/** `ciclo data profile` for people: one line per column with a small histogram, then top values. */

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** Counts as bars scaled to the largest; an empty bin is a space, so gaps show. */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  if (max === 0) return '';
  return counts
    .map((count) =>
      count === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((count / max) * (BARS.length - 1) + 0.5))],
    )
    .join('');
}

export function renderProfile(title: string, profile: DatasetProfile): string {
  const rows = profile.columns.map((column) => [
    column.name,
    column.type,
    `${formatNumber(column.nulls)}` +
      `${profile.rowCount > 0 && column.nulls > 0 ? ` (${percent(column.nulls / profile.rowCount)})` : ''}`,
    column.distinct === null ? '-' : `~${formatNumber(column.distinct)}`,
    show(column.min),
    formatNumber(column.mean ?? null),
    show(column.max),
    formatNumber(column.std ?? null),
    column.histogram ? sparkline(column.histogram.counts) : '',
  ]);
  const lines = [
    `${title}: ${formatNumber(profile.rowCount)} rows, ${profile.columns.length} columns`,
    '',
    renderTable(['column', 'type', 'nulls', 'distinct', 'min', 'mean', 'max', 'std', 'histogram'], rows, [
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  ];
  const quantiled = profile.columns.filter((column) => column.quantiles !== undefined);
  if (quantiled.length > 0) {
    const labels = Object.keys(quantiled[0]!.quantiles!);
    lines.push(
      '',
      renderTable(
        ['quantiles', ...labels],
        quantiled.map((column) => [column.name, ...labels.map((label) => formatNumber(column.quantiles![label]))]),
        ['left', ...labels.map(() => 'right' as const)],
      ),
    );
  }
  for (const column of profile.columns.filter((c) => c.topValues !== undefined && c.topValues.length > 0))
    lines.push('', renderTopValues(column));
  const masked = profile.columns.filter(
    (column) =>
      column.kind !== 'other' &&
      column.min === undefined &&
      column.topValues === undefined &&
      column.histogram === undefined,
  );
  if (masked.length > 0)
    lines.push(
      '',
      `values of ${masked.map((column) => column.name).join(', ')} are not shown (sensitive or not profiled)`,
    );
  return lines.join('\n');
}

function renderTopValues(column: ColumnProfile): string {
  const top = column.topValues ?? [];
  const width = Math.max(...top.map((entry) => entry.value.length), 5);
  const max = Math.max(...top.map((entry) => entry.count));
  const body = top.map(
    (entry) =>
      `  ${entry.value.padEnd(width)}  ${String(entry.count).padStart(String(max).length)}  ` +
      `${'█'.repeat(Math.max(1, Math.round((entry.count / max) * 20)))}`,
  );
  return [`top values of ${column.name}:`, ...body].join('\n');
}

function show(value: number | string | null | undefined): string {
  if (value === undefined || value === null) return '-';
  return typeof value === 'number' ? formatNumber(value) : value;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.001 ? 2 : 1)}%`;
}
