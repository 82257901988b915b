import { useState } from 'react';
import { segment, type ApiClient } from '../api/client.js';
import type { ArtifactEntry, Page } from '../api/types.js';
import { useSession } from '../auth/session.js';
import { ErrorState, Loading } from '../components/states.js';
import { useApi } from '../components/use-api.js';

function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Saved through fetch, not a link: the download needs the Authorization header, and a token never goes
 * into a URL.
 */
async function download(api: ApiClient, runId: string, path: string): Promise<void> {
  const response = await api.fetchRaw(`/runs/${segment(runId)}/artifacts/${path.split('/').map(segment).join('/')}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = path.slice(path.lastIndexOf('/') + 1);
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A run's artifacts, one folder at a time (the list route answers a folder's children). */
export function ArtifactList({ runId }: { runId: string }) {
  const { api } = useSession();
  const [folder, setFolder] = useState('');
  const [failed, setFailed] = useState<unknown>(null);
  const loaded = useApi(`artifacts:${runId}:${folder}`, (client, signal) =>
    client.get<Page<ArtifactEntry>>(`/runs/${segment(runId)}/artifacts`, folder === '' ? {} : { path: folder }, signal),
  );

  if (loaded.status === 'loading') return <Loading what="artifacts" />;
  if (loaded.status === 'error') return <ErrorState error={loaded.error} />;
  const parent = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : '';
  return (
    <>
      {folder !== '' && (
        <p>
          In <code>{folder}/</code>{' '}
          <button type="button" className="link" onClick={() => setFolder(parent)}>
            Up one folder
          </button>
        </p>
      )}
      {loaded.data.items.length === 0 ? (
        <p className="muted">No artifacts logged.</p>
      ) : (
        <table className="list">
          <caption className="visually-hidden">Artifacts</caption>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.items.map((entry) => (
              <tr key={entry.path}>
                <td>
                  {entry.is_dir ? (
                    <button type="button" className="link" onClick={() => setFolder(entry.path)}>
                      {entry.path}/
                    </button>
                  ) : (
                    entry.path
                  )}
                </td>
                <td>{formatSize(entry.file_size)}</td>
                <td>
                  {!entry.is_dir && (
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Download ${entry.path}`}
                      onClick={() => {
                        setFailed(null);
                        download(api, runId, entry.path).catch(setFailed);
                      }}
                    >
                      Download
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {failed !== null && <ErrorState error={failed} />}
    </>
  );
}
