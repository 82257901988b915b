import { Link, useParams } from 'react-router';
import { segment } from '../api/client.js';
import type { Model, ModelVersion, Page } from '../api/types.js';
import { formatTime } from '../components/format.js';
import { usePageTitle } from '../components/page-title.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';

/** One registered model and its versions, newest first. */
export default function ModelPage() {
  const { name = '' } = useParams();
  usePageTitle(`Model ${name}`);
  const loaded = useApi(`model:${name}`, async (api, signal) => {
    const [model, versions] = await Promise.all([
      api.get<Model>(`/models/${segment(name)}`, {}, signal),
      api.get<Page<ModelVersion>>(`/models/${segment(name)}/versions`, { max_results: 1000 }, signal),
    ]);
    return { model, versions: versions.items };
  });

  if (loaded.status === 'loading') return <Loading what="the model" />;
  if (loaded.status === 'error') return <ErrorState error={loaded.error} />;
  const { model, versions } = loaded.data;
  const newestFirst = [...versions].sort((a, b) => b.version - a.version);
  return (
    <>
      <p className="crumbs">
        <Link to="/models">Models</Link> /
      </p>
      <h1>{model.name}</h1>
      <p>
        Project <code>{model.project}</code>
        {model.description !== null && model.description !== '' ? ` · ${model.description}` : ''}
      </p>
      {newestFirst.length === 0 ? (
        <Empty>
          <p>No versions registered.</p>
        </Empty>
      ) : (
        <table className="list">
          <caption className="visually-hidden">Versions of {model.name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Aliases</th>
              <th scope="col">Stages</th>
              <th scope="col">Flavor</th>
              <th scope="col">Registered by</th>
              <th scope="col">Registered</th>
            </tr>
          </thead>
          <tbody>
            {newestFirst.map((version) => (
              <tr key={version.version}>
                <td>
                  <Link to={`/models/${segment(model.name)}/versions/${version.version}`}>{version.version}</Link>
                </td>
                <td>{version.status}</td>
                <td>{version.aliases.join(', ')}</td>
                <td>{version.stages.join(', ')}</td>
                <td>{version.flavor}</td>
                <td>{version.created_by}</td>
                <td>{formatTime(version.created_time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
