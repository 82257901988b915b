import { Link } from 'react-router';
import type { Experiment, Page } from '../api/types.js';
import { formatTime } from '../components/format.js';
import { usePageTitle } from '../components/page-title.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';

/** Every active experiment the caller may read (the server filters by project), newest change first. */
export default function ExperimentsPage() {
  usePageTitle('Experiments');
  const loaded = useApi('experiments', (api, signal) =>
    api.get<Page<Experiment>>('/experiments', { max_results: 1000 }, signal),
  );

  return (
    <>
      <h1>Experiments</h1>
      {loaded.status === 'loading' && <Loading what="experiments" />}
      {loaded.status === 'error' && <ErrorState error={loaded.error} />}
      {loaded.status === 'ok' && loaded.data.items.length === 0 && (
        <Empty>
          <p>No experiments you can read yet.</p>
          <p>
            Log a run with the SDK, or run <code>ciclo quickstart</code> for a worked example.
          </p>
        </Empty>
      )}
      {loaded.status === 'ok' && loaded.data.items.length > 0 && (
        <table className="list">
          <caption className="visually-hidden">Experiments</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Project</th>
              <th scope="col">Created</th>
              <th scope="col">Last update</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.items.map((experiment) => (
              <tr key={experiment.experiment_id}>
                <td>
                  <Link to={`/experiments/${experiment.experiment_id}`}>{experiment.name}</Link>
                </td>
                <td>{experiment.experiment_id}</td>
                <td>{experiment.project}</td>
                <td>{formatTime(experiment.creation_time)}</td>
                <td>{formatTime(experiment.last_update_time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {loaded.status === 'ok' && loaded.data.next_page_token !== undefined && (
        <p className="muted">Showing the 1000 most recently updated experiments.</p>
      )}
    </>
  );
}
