import { Link } from 'react-router';
import { segment } from '../api/client.js';
import type { Model, Page } from '../api/types.js';
import { formatTime } from '../components/format.js';
import { usePageTitle } from '../components/page-title.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';

/** The registered models the caller may read (the server filters by project). */
export default function ModelsPage() {
  usePageTitle('Models');
  const loaded = useApi('models', (api, signal) => api.get<Page<Model>>('/models', { max_results: 1000 }, signal));

  return (
    <>
      <h1>Models</h1>
      {loaded.status === 'loading' && <Loading what="models" />}
      {loaded.status === 'error' && <ErrorState error={loaded.error} />}
      {loaded.status === 'ok' && loaded.data.items.length === 0 && (
        <Empty>
          <p>No registered models you can read yet.</p>
          <p>
            Register one with <code>ciclo models register</code> or a pipeline&apos;s <code>register</code> step.
          </p>
        </Empty>
      )}
      {loaded.status === 'ok' && loaded.data.items.length > 0 && (
        <table className="list">
          <caption className="visually-hidden">Models</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Project</th>
              <th scope="col">Latest version</th>
              <th scope="col">Aliases</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.items.map((model) => (
              <tr key={model.name}>
                <td>
                  <Link to={`/models/${segment(model.name)}`}>{model.name}</Link>
                </td>
                <td>{model.project}</td>
                <td>{model.latest_version ?? '—'}</td>
                <td>
                  {Object.entries(model.aliases)
                    .map(([alias, version]) => `${alias} → ${version}`)
                    .join(', ')}
                </td>
                <td>{formatTime(model.updated_time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
