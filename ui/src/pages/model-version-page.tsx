import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { segment } from '../api/client.js';
import type { Model, ModelVersion, Whoami } from '../api/types.js';
import { useSession } from '../auth/session.js';
import { formatMetric, formatTime } from '../components/format.js';
import { usePageTitle } from '../components/page-title.js';
import { ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';
import { KeyValues } from './key-values.js';

const DECIDERS = new Set(['approver', 'admin']);

/**
 * Whether to offer approve and reject: the caller's role in the model's project (or on every project) is
 * approver or admin and its token has the `approve` scope. Only a hint for the buttons: the server judges
 * every decision again, with the model's policy (approvers, four eyes), and its refusal is shown as sent.
 */
function mayDecide(caller: Whoami, project: string): boolean {
  if (!caller.authenticated) return true;
  if (!caller.scopes.includes('approve')) return false;
  return caller.roles.some((grant) => (grant.project === project || grant.project === '*') && DECIDERS.has(grant.role));
}

/** One model version: status, metrics snapshot, lineage, and the decision for callers who may make it. */
export default function ModelVersionPage() {
  const { name = '', version = '' } = useParams();
  usePageTitle(`${name} version ${version}`);
  const [reload, setReload] = useState(0);
  const loaded = useApi(`version:${name}:${version}:${reload}`, async (api, signal) => {
    const [model, detail] = await Promise.all([
      api.get<Model>(`/models/${segment(name)}`, {}, signal),
      api.get<ModelVersion>(`/models/${segment(name)}/versions/${segment(version)}`, {}, signal),
    ]);
    return { model, version: detail };
  });

  if (loaded.status === 'loading') return <Loading what="the model version" />;
  if (loaded.status === 'error') return <ErrorState error={loaded.error} />;
  const { model, version: detail } = loaded.data;
  return (
    <>
      <p className="crumbs">
        <Link to="/models">Models</Link> / <Link to={`/models/${segment(model.name)}`}>{model.name}</Link> /
      </p>
      <h1>
        {model.name} version {detail.version}
      </h1>
      <dl className="facts">
        <dt>Status</dt>
        <dd className={`status-${detail.status}`}>{detail.status}</dd>
        <dt>Project</dt>
        <dd>{model.project}</dd>
        <dt>Flavor</dt>
        <dd>{detail.flavor}</dd>
        <dt>Registered by</dt>
        <dd>{detail.created_by}</dd>
        <dt>Registered</dt>
        <dd>{formatTime(detail.created_time)}</dd>
        <dt>From run</dt>
        <dd>
          <Link to={`/runs/${detail.run_id}`}>{detail.run_id}</Link>
        </dd>
        <dt>Package</dt>
        <dd>{detail.manifest_digest === null ? 'not verified' : <code>{detail.manifest_digest}</code>}</dd>
      </dl>
      <Decision
        name={model.name}
        version={detail.version}
        project={model.project}
        status={detail.status}
        onDecided={() => setReload((count) => count + 1)}
      />
      <section aria-labelledby="snapshot-heading">
        <h2 id="snapshot-heading">Metrics snapshot</h2>
        <KeyValues
          caption="Metrics snapshot"
          entries={Object.entries(detail.metrics).map(([key, value]) => [key, formatMetric(value ?? 'NaN')])}
          empty="No metrics in the snapshot."
        />
      </section>
      <section aria-labelledby="lineage-heading">
        <h2 id="lineage-heading">Lineage datasets</h2>
        <KeyValues
          caption="Lineage datasets"
          entries={detail.lineage.datasets.map((dataset) => [`${dataset.name} (${dataset.context})`, dataset.digest])}
          empty="No datasets in its lineage."
        />
      </section>
    </>
  );
}

interface DecisionProps {
  name: string;
  version: number;
  project: string;
  status: string;
  onDecided(): void;
}

function Decision({ name, version, project, status, onDecided }: DecisionProps) {
  const { api, caller } = useSession();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<unknown>(null);
  const commentId = useId();
  if (status !== 'pending') return null;
  if (!mayDecide(caller, project)) {
    return <p className="muted">Pending a decision by an approver of project {project}.</p>;
  }

  const decide = (decision: 'approve' | 'reject') => {
    setBusy(true);
    setRefused(null);
    const body = comment.trim() === '' ? {} : { comment: comment.trim() };
    api
      .post<unknown>(`/models/${segment(name)}/versions/${version}/${decision}`, body)
      .then(onDecided, setRefused)
      .finally(() => setBusy(false));
  };

  return (
    <section aria-labelledby="decision-heading" className="decision">
      <h2 id="decision-heading">Decision</h2>
      <p className="muted">
        The server checks the model&apos;s policy: its approvers, its gates, and with four eyes, that whoever registered
        the version does not approve it.
      </p>
      <label htmlFor={commentId}>Comment</label>
      <textarea id={commentId} value={comment} rows={2} onChange={(event) => setComment(event.target.value)} />
      <div className="buttons">
        <button type="button" disabled={busy} onClick={() => decide('approve')}>
          Approve
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => decide('reject')}>
          Reject
        </button>
      </div>
      {refused !== null && <ErrorState error={refused} />}
    </section>
  );
}
