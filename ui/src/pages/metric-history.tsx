import { useId, useMemo, useState } from 'react';
import { segment, type ApiClient } from '../api/client.js';
import type { Metric, Page } from '../api/types.js';
import { metricNumber } from '../components/format.js';
import { ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';
import { MetricChart } from './metric-chart.js';

const PAGE_SIZE = 10_000;
/** A chart of more points than a screen has pixels shows nothing more; past this the page says so. */
const MAX_POINTS = 100_000;

async function history(api: ApiClient, runId: string, key: string, signal: AbortSignal) {
  const points: Metric[] = [];
  let token: string | undefined;
  do {
    const page = await api.get<Page<Metric>>(
      `/runs/${segment(runId)}/metrics/${segment(key)}/history`,
      { max_results: PAGE_SIZE, page_token: token },
      signal,
    );
    points.push(...page.items);
    token = page.next_page_token;
  } while (token !== undefined && points.length < MAX_POINTS);
  return { points, truncated: token !== undefined };
}

/** One metric's logged history (every step, from the history route), the key chosen from the run's metrics. */
export function MetricHistory({ runId, keys }: { runId: string; keys: readonly string[] }) {
  const [key, setKey] = useState(keys[0] ?? '');
  const selectId = useId();
  const loaded = useApi(`history:${runId}:${key}`, (api, signal) => history(api, runId, key, signal));
  // The chart is drawn again only when the points change, not on every render of the page.
  const series = useMemo(() => {
    if (loaded.status !== 'ok') return null;
    const points = loaded.data.points;
    return { steps: points.map((point) => point.step), values: points.map((point) => metricNumber(point.value)) };
  }, [loaded]);

  return (
    <div className="metric-history">
      <label htmlFor={selectId}>Metric history</label>{' '}
      <select id={selectId} value={key} onChange={(event) => setKey(event.target.value)}>
        {keys.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
      {loaded.status === 'loading' && <Loading what={`the history of ${key}`} />}
      {loaded.status === 'error' && <ErrorState error={loaded.error} />}
      {loaded.status === 'ok' && series !== null && (
        <>
          <MetricChart label={key} steps={series.steps} values={series.values} />
          {loaded.data.truncated && <p className="muted">Showing the first {MAX_POINTS} points.</p>}
        </>
      )}
    </div>
  );
}
