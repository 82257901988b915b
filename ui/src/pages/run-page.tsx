import { Link, useParams } from 'react-router';
import { segment } from '../api/client.js';
import type { Run } from '../api/types.js';
import { formatDuration, formatMetric, formatTime } from '../components/format.js';
import { usePageTitle } from '../components/page-title.js';
import { ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';
import { ArtifactList } from './artifact-list.js';
import { KeyValues } from './key-values.js';
import { MetricHistory } from './metric-history.js';

/** One run: what it is, its params, tags, latest metrics with their history, dataset inputs and artifacts. */
export default function RunPage() {
  const { runId = '' } = useParams();
  const loaded = useApi(`run:${runId}`, (api, signal) => api.get<Run>(`/runs/${segment(runId)}`, {}, signal));
  usePageTitle(loaded.status === 'ok' ? `Run ${loaded.data.info.run_name}` : 'Run');

  if (loaded.status === 'loading') return <Loading what="the run" />;
  if (loaded.status === 'error') return <ErrorState error={loaded.error} />;
  const { info, data, inputs } = loaded.data;
  return (
    <>
      <p className="crumbs">
        <Link to="/experiments">Experiments</Link> / <Link to={`/experiments/${info.experiment_id}`}>Runs</Link> /
      </p>
      <h1>{info.run_name || info.run_id}</h1>
      <dl className="facts">
        <dt>Run ID</dt>
        <dd>
          <code>{info.run_id}</code>
        </dd>
        <dt>Status</dt>
        <dd>{info.status}</dd>
        <dt>Started</dt>
        <dd>{formatTime(info.start_time)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(info.start_time, info.end_time)}</dd>
        <dt>User</dt>
        <dd>{info.user_id}</dd>
        {info.parent_run_id !== null && (
          <>
            <dt>Parent run</dt>
            <dd>
              <Link to={`/runs/${info.parent_run_id}`}>{info.parent_run_id}</Link>
            </dd>
          </>
        )}
      </dl>

      <section aria-labelledby="metrics-heading">
        <h2 id="metrics-heading">Metrics</h2>
        {data.metrics.length === 0 ? (
          <p className="muted">No metrics logged.</p>
        ) : (
          <>
            <KeyValues
              caption="Latest metric values"
              entries={data.metrics.map((metric) => [metric.key, formatMetric(metric.value)])}
            />
            <MetricHistory runId={info.run_id} keys={data.metrics.map((metric) => metric.key).sort()} />
          </>
        )}
      </section>

      <section aria-labelledby="params-heading">
        <h2 id="params-heading">Parameters</h2>
        <KeyValues caption="Parameters" entries={Object.entries(data.params)} empty="No parameters logged." />
      </section>

      <section aria-labelledby="tags-heading">
        <h2 id="tags-heading">Tags</h2>
        <KeyValues caption="Tags" entries={Object.entries(data.tags)} empty="No tags." />
      </section>

      <section aria-labelledby="inputs-heading">
        <h2 id="inputs-heading">Dataset inputs</h2>
        {inputs.length === 0 ? (
          <p className="muted">No dataset inputs logged.</p>
        ) : (
          <table className="list">
            <caption className="visually-hidden">Dataset inputs</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Context</th>
                <th scope="col">Digest</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {inputs.map((input) => (
                <tr key={`${input.name}@${input.digest}:${input.context}`}>
                  <td>{input.name}</td>
                  <td>{input.context}</td>
                  <td>
                    <code title={input.digest}>{input.digest.slice(0, 19)}…</code>
                  </td>
                  <td>
                    {input.source_type}
                    {input.source === '' ? '' : `: ${input.source}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="artifacts-heading">
        <h2 id="artifacts-heading">Artifacts</h2>
        <ArtifactList runId={info.run_id} />
      </section>
    </>
  );
}
