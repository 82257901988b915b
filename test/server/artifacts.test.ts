import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { rawRequest, useTestServer } from './http.js';

const JSON_LIMIT = 64 * 1024;

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

describe.each(DIALECTS)('artifacts over HTTP (%s)', (dialect) => {
  // A small JSON limit shows that artifact bodies are not held to it.
  const suite = useTestServer(dialect, { maxBodyBytes: JSON_LIMIT });
  let runId: string;
  let experimentId: string;
  beforeAll(async () => {
    experimentId = (await suite.http.post('/api/v1/experiments', { name: 'artifacts' })).body.experiment_id;
    runId = (await suite.http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;
  });

  const put = (path: string, body: Buffer | string, contentType = 'application/octet-stream') =>
    fetch(`${suite.server.url}${path}`, { method: 'PUT', headers: { 'content-type': contentType }, body });

  it('stores an artifact larger than the JSON limit, serves it back with its digest, and lists it', async () => {
    const bytes = randomBytes(3 * JSON_LIMIT + 17);
    const stored = await put(`/api/v1/runs/${runId}/artifacts/model/weights.bin`, bytes);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual({ path: 'model/weights.bin', digest: sha256(bytes), size_bytes: bytes.length });

    const fetched = await fetch(`${suite.server.url}/api/v1/runs/${runId}/artifacts/model/weights.bin`);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('x-ciclo-digest')).toBe(sha256(bytes));
    expect(fetched.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await fetched.arrayBuffer()).equals(bytes)).toBe(true);

    await put(`/api/v1/runs/${runId}/artifacts/README.md`, '# model\n', 'text/markdown');
    expect((await suite.http.get(`/api/v1/runs/${runId}/artifacts`)).body).toEqual({
      items: [
        { path: 'README.md', is_dir: false, file_size: 8 },
        { path: 'model', is_dir: true },
      ],
    });
    expect((await suite.http.get(`/api/v1/runs/${runId}/artifacts`, { path: 'model' })).body).toEqual({
      items: [{ path: 'model/weights.bin', is_dir: false, file_size: bytes.length }],
    });
  });

  it('stores a chunked upload of unknown length as it streams in', async () => {
    const all = Buffer.concat(Array.from({ length: 4 }, () => randomBytes(32 * 1024)));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= all.length) return controller.close();
        controller.enqueue(all.subarray(sent, sent + 10_000));
        sent += 10_000;
      },
    });
    const stored = await fetch(`${suite.server.url}/api/v1/runs/${runId}/artifacts/stream.bin`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: stream,
      duplex: 'half',
    });
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual({ path: 'stream.bin', digest: sha256(all), size_bytes: all.length });
  });

  it('answers a corrupt blob with CORRUPT_ARTIFACT naming the run and path, and sends none of its bytes', async () => {
    const overwriteBlob = (digest: string, bytes: Buffer) => {
      const hex = digest.slice('sha256:'.length);
      const blob = join(suite.server.context.config.artifactRoot, 'sha256', hex.slice(0, 2), hex.slice(2));
      chmodSync(blob, 0o644);
      writeFileSync(blob, bytes);
    };
    const storedDigest = async (path: string, bytes: Buffer) =>
      ((await (await put(path, bytes)).json()) as { digest: string }).digest;
    const small = Buffer.from('weights v1\n');
    overwriteBlob(
      await storedDigest(`/api/v1/runs/${runId}/artifacts/tamper/small.txt`, small),
      Buffer.from('WEIGHTS v1\n'),
    );

    // 5 MiB with one byte flipped in the middle: many read chunks, so only a check before the first byte can refuse it.
    const large = randomBytes(5 * 1024 * 1024);
    const altered = Buffer.from(large);
    altered.writeUInt8(altered.readUInt8(altered.length / 2) ^ 0x01, altered.length / 2);
    overwriteBlob(await storedDigest(`/api/v1/runs/${runId}/artifacts/tamper/large.bin`, large), altered);

    const routes = [
      ['tamper/small.txt', `/api/v1/runs/${runId}/artifacts/tamper/small.txt`],
      ['tamper/large.bin', `/api/v1/runs/${runId}/artifacts/tamper/large.bin`],
      ['tamper/large.bin', `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/tamper/large.bin`],
    ];
    for (const [path, route] of routes) {
      const answer = await fetch(`${suite.server.url}${route}`);
      const text = await answer.text();
      expect({ route, status: answer.status }).toEqual({ route, status: 500 });
      expect(answer.headers.get('x-ciclo-digest')).toBeNull();
      const body = JSON.parse(text) as { error_code: string; message: string; where: string };
      expect(body).toMatchObject({ error_code: 'CORRUPT_ARTIFACT', where: path });
      expect(body.message).toContain(`${path} of run ${runId}`);
    }
  });

  it('refuses an upload that announces more than the artifact limit with 413, before reading it', async () => {
    const answer = await rawRequest(suite.server.url, 'PUT', `/api/v1/runs/${runId}/artifacts/huge.bin`, 'x', {
      'content-type': 'application/octet-stream',
      'content-length': String(65 * 1024 ** 3),
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toMatchObject({ error_code: 'REQUEST_TOO_LARGE' });
    expect((await suite.http.get(`/api/v1/runs/${runId}/artifacts/huge.bin`)).status).toBe(404);
  });

  it('refuses paths that leave the run: .., absolute, and encoded', async () => {
    const attempts = [
      `/api/v1/runs/${runId}/artifacts/../x`,
      `/api/v1/runs/${runId}/artifacts/a/../../x`,
      `/api/v1/runs/${runId}/artifacts/%2e%2e/x`,
      `/api/v1/runs/${runId}/artifacts/%2E%2E%2Fx`,
      `/api/v1/runs/${runId}/artifacts//etc/passwd`,
      `/api/v1/runs/${runId}/artifacts/%2Fetc%2Fpasswd`,
      `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/../../x`,
      `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/%2e%2e/x`,
    ];
    for (const path of attempts) {
      const answer = await rawRequest(suite.server.url, 'PUT', path, 'evil', {
        'content-type': 'application/octet-stream',
      });
      expect({ path, status: answer.status }).toEqual({ path, status: 400 });
      expect(JSON.parse(answer.text)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'path' });
    }
    for (const dir of ['../', '/etc', '%2e%2e']) {
      const answer = await rawRequest(suite.server.url, 'GET', `/api/v1/runs/${runId}/artifacts?path=${dir}`);
      expect({ dir, status: answer.status }).toEqual({ dir, status: 400 });
    }
    const listing = await suite.http.get(`/api/v1/runs/${runId}/artifacts`);
    const listed = listing.body.items.map((f: { path: string }) => f.path);
    expect(listed).not.toContain('x');
  });

  it('answers a missing artifact or run with 404 and a deleted run with 400', async () => {
    expect((await suite.http.get(`/api/v1/runs/${runId}/artifacts/nothing/here.txt`)).body.error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
    const missingRun = await put('/api/v1/runs/missing/artifacts/a.txt', 'a');
    expect(missingRun.status).toBe(404);
    const deleted = (await suite.http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;
    await suite.http.delete(`/api/v1/runs/${deleted}`);
    const refused = await put(`/api/v1/runs/${deleted}/artifacts/a.txt`, 'a');
    expect(refused.status).toBe(400);
    // The connection that carried a refused upload still serves the next request.
    expect((await suite.http.get('/api/v1/health')).status).toBe(200);
  });

  it('maps the mlflow-artifacts proxy onto the run the artifact_uri names', async () => {
    const run = await suite.http.post('/api/2.0/mlflow/runs/create', { experiment_id: experimentId });
    const { run_id: id, artifact_uri: uri } = run.body.run.info as { run_id: string; artifact_uri: string };
    expect(uri).toBe(`mlflow-artifacts:/${experimentId}/${id}/artifacts`);
    const base = `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${id}/artifacts`;

    const json = '{"auc": 0.91}';
    const stored = await put(`${base}/plots/roc.json`, json, 'application/json');
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual({});
    await put(`${base}/model.pkl`, randomBytes(100));

    const fetched = await fetch(`${suite.server.url}${base}/plots/roc.json`);
    expect(await fetched.text()).toBe(json);
    expect(await (await fetch(`${suite.server.url}/api/v1/runs/${id}/artifacts/plots/roc.json`)).text()).toBe(json);

    const root = await suite.http.get('/api/2.0/mlflow-artifacts/artifacts', {
      path: `${experimentId}/${id}/artifacts`,
    });
    expect(root.body).toEqual({
      files: [
        { path: 'model.pkl', is_dir: false, file_size: 100 },
        { path: 'plots', is_dir: true },
      ],
    });
    const plots = await suite.http.get('/api/2.0/mlflow-artifacts/artifacts', {
      path: `${experimentId}/${id}/artifacts/plots`,
    });
    expect(plots.body).toEqual({ files: [{ path: 'roc.json', is_dir: false, file_size: json.length }] });

    const listed = await suite.http.get('/api/2.0/mlflow/artifacts/list', { run_id: id, path: 'plots' });
    expect(listed.body).toEqual({
      root_uri: uri,
      files: [{ path: 'plots/roc.json', is_dir: false, file_size: json.length }],
    });
    const notARun = await suite.http.get('/api/2.0/mlflow-artifacts/artifacts', { path: `${experimentId}/${id}` });
    expect(notARun.status).toBe(400);
  });
});
