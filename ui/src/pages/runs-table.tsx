import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { Run } from '../api/types.js';
import { formatDuration, formatMetric, formatTime } from '../components/format.js';

interface Column {
  id: string;
  label: string;
  /** The search language's order_by field, for a sortable column. */
  field: string;
  width: number;
  cell(run: Run): ReactNode;
}

const ROW_HEIGHT = 34;

/** A metric or param key quoted for the search language, whatever characters it holds. */
function quoted(key: string): string {
  return `\`${key.replace(/`/g, '``')}\``;
}

function columnsOf(runs: readonly Run[]): Column[] {
  const metricKeys = new Set<string>();
  const paramKeys = new Set<string>();
  for (const run of runs) {
    for (const metric of run.data.metrics) metricKeys.add(metric.key);
    for (const key of Object.keys(run.data.params)) paramKeys.add(key);
  }
  const fixed: Column[] = [
    {
      id: 'name',
      label: 'Run',
      field: 'attributes.run_name',
      width: 220,
      cell: (run) => <Link to={`/runs/${run.info.run_id}`}>{run.info.run_name || run.info.run_id}</Link>,
    },
    { id: 'status', label: 'Status', field: 'attributes.status', width: 100, cell: (run) => run.info.status },
    {
      id: 'start',
      label: 'Started',
      field: 'attributes.start_time',
      width: 170,
      cell: (run) => formatTime(run.info.start_time),
    },
    {
      id: 'duration',
      label: 'Duration',
      field: 'attributes.end_time',
      width: 110,
      cell: (run) => formatDuration(run.info.start_time, run.info.end_time),
    },
  ];
  const metrics = [...metricKeys].sort().map<Column>((key) => ({
    id: `m:${key}`,
    label: key,
    field: `metrics.${quoted(key)}`,
    width: 130,
    cell: (run) => formatMetric(run.data.metrics.find((metric) => metric.key === key)?.value),
  }));
  const params = [...paramKeys].sort().map<Column>((key) => ({
    id: `p:${key}`,
    label: key,
    field: `params.${quoted(key)}`,
    width: 130,
    cell: (run) => run.data.params[key] ?? '',
  }));
  return [...fixed, ...metrics, ...params];
}

function orderOf(order: string | null): { field: string; descending: boolean } | null {
  if (order === null) return null;
  const match = /^(.*?)\s+(asc|desc)$/i.exec(order.trim());
  return match === null
    ? { field: order.trim(), descending: false }
    : { field: match[1]!, descending: match[2]!.toLowerCase() === 'desc' };
}

interface Props {
  runs: readonly Run[];
  order: string | null;
  onOrder(order: string): void;
  hasMore: boolean;
  onNeedMore(): void;
}

/**
 * The runs as a virtualized grid: only the rows in view (and a few beyond) are in the page, so 100k runs
 * cost what 40 do. Metric and param columns are the keys of the loaded runs; a header sorts on the server.
 */
export function RunsTable({ runs, order, onOrder, hasMore, onNeedMore }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const columns = useMemo(() => columnsOf(runs), [runs]);
  const template = columns.map((column) => `${column.width}px`).join(' ');
  const width = columns.reduce((sum, column) => sum + column.width, 0);
  const sorted = orderOf(order);
  const metricStart = 4;
  const paramStart = columns.findIndex((column) => column.id.startsWith('p:'));

  // The virtualizer measures and scrolls on its own; this component is not memoized by the React Compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const last = items.at(-1)?.index ?? 0;

  useEffect(() => {
    if (hasMore && last >= runs.length - 50) onNeedMore();
  }, [hasMore, last, runs.length, onNeedMore]);

  return (
    <div className="grid-scroll" ref={scroller} tabIndex={0} role="region" aria-label="Runs table, scrollable">
      <div role="table" aria-label="Runs" aria-rowcount={runs.length + 1} className="grid" style={{ width }}>
        <div role="rowgroup" className="grid-head">
          <div role="row" aria-rowindex={1} className="grid-row" style={{ gridTemplateColumns: template }}>
            {columns.map((column, index) => {
              const active = sorted?.field === column.field;
              const kind = index >= paramStart && paramStart !== -1 ? 'param' : index >= metricStart ? 'metric' : '';
              return (
                <div
                  key={column.id}
                  role="columnheader"
                  className={`grid-cell head ${kind}`}
                  aria-sort={active ? (sorted.descending ? 'descending' : 'ascending') : 'none'}
                >
                  <button
                    type="button"
                    className="sort"
                    title={`Sort by ${column.field}`}
                    onClick={() => onOrder(`${column.field} ${active && sorted.descending ? 'ASC' : 'DESC'}`)}
                  >
                    {kind !== '' && (
                      <span className="kind" aria-hidden="true">
                        {kind === 'metric' ? 'm' : 'p'}
                      </span>
                    )}
                    {column.label}
                    {active && <span aria-hidden="true">{sorted.descending ? ' ▼' : ' ▲'}</span>}
                  </button>
                </div>
              );
            })}
          </div>
        </div>
        <div role="rowgroup" className="grid-body" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const run = runs[item.index]!;
            return (
              <div
                key={run.info.run_id}
                role="row"
                aria-rowindex={item.index + 2}
                className="grid-row"
                style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)` }}
              >
                {columns.map((column) => (
                  <div key={column.id} role="cell" className="grid-cell">
                    {column.cell(run)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
