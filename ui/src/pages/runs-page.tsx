import { useId, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { segment } from '../api/client.js';
import type { Experiment } from '../api/types.js';
import { usePageTitle } from '../components/page-title.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';
import { useRunSearch } from './run-search.js';
import { RunsTable } from './runs-table.js';

/**
 * One experiment's runs over the search language: the filter and the order live in the URL
 * (`?filter=…&order=…`), so a filtered, sorted table is a link to share.
 */
export default function RunsPage() {
  const { experimentId = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const filter = search.get('filter') ?? '';
  const order = search.get('order');
  const experiment = useApi(`experiment:${experimentId}`, (api, signal) =>
    api.get<Experiment>(`/experiments/${segment(experimentId)}`, {}, signal),
  );
  const runs = useRunSearch(experimentId, filter, order);
  const name = experiment.status === 'ok' ? experiment.data.name : `Experiment ${experimentId}`;
  usePageTitle(`${name} · runs`);

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    setSearch(next);
  };

  if (experiment.status === 'error') return <ErrorState error={experiment.error} />;
  return (
    <>
      <p className="crumbs">
        <Link to="/experiments">Experiments</Link> /
      </p>
      <h1>{name}</h1>
      {/* Keyed by the applied filter: a link or Back that changes it starts the box over from it. */}
      <FilterBox key={filter} applied={filter} onApply={(text) => update({ filter: text })} />
      {runs.status === 'loading' && <Loading what="runs" />}
      {runs.status === 'error' && <ErrorState error={runs.error} />}
      {runs.status === 'ok' && runs.runs.length === 0 && (
        <Empty>
          <p>{filter === '' ? 'This experiment has no runs yet.' : 'No run matches this filter.'}</p>
        </Empty>
      )}
      {runs.status === 'ok' && runs.runs.length > 0 && (
        <>
          <p className="muted" aria-live="polite">
            {runs.runs.length}
            {runs.hasMore ? '+' : ''} runs
          </p>
          <RunsTable
            runs={runs.runs}
            order={order}
            onOrder={(next) => update({ order: next })}
            hasMore={runs.hasMore}
            onNeedMore={runs.loadMore}
          />
        </>
      )}
    </>
  );
}

const EXAMPLE = "metrics.accuracy > 0.8 and params.model = 'tree'";

/** The search language as typed; applied on Enter or the button, never per keystroke (each is a query). */
function FilterBox({ applied, onApply }: { applied: string; onApply(filter: string): void }) {
  const [draft, setDraft] = useState(applied);
  const inputId = useId();
  const helpId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft.trim());
  };

  return (
    <form role="search" className="filter" onSubmit={submit}>
      <label htmlFor={inputId}>Filter runs</label>
      <input
        id={inputId}
        name="filter"
        type="text"
        spellCheck={false}
        autoComplete="off"
        placeholder={EXAMPLE}
        aria-describedby={helpId}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit">Apply</button>
      {applied !== '' && (
        <button type="button" className="secondary" onClick={() => onApply('')}>
          Clear
        </button>
      )}
      <p id={helpId} className="muted">
        The search language of <code>ciclo runs list --filter</code>: <code>metrics.</code>, <code>params.</code>,{' '}
        <code>tags.</code> and <code>attributes.</code> fields, compared and joined with <code>and</code>.
      </p>
    </form>
  );
}
