import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import type { CicloConfig } from '../../src/common/config.js';
import type { DialectName } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A parsed answer; the body is `any` because tests assert its shape field by field. */
export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the wire as a client sees it
  body: any;
  headers: Headers;
}

/**
 * JSON over real HTTP: `api(url).post('/api/2.0/mlflow/runs/create', {...})`. DELETE may carry a
 * JSON body (MLflow's client sends one) and query parameters; `headers` go on every request.
 */
export function api(baseUrl: string, headers: Record<string, string> = {}) {
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
  };
  return {
    get: (path: string, query: Record<string, string | number | string[]> = {}) =>
      call('GET', path + queryString(query)),
    post: (path: string, body?: unknown) => call('POST', path, body),
    put: (path: string, body?: unknown) => call('PUT', path, body),
    patch: (path: string, body?: unknown) => call('PATCH', path, body),
    delete: (path: string, body?: unknown, query: Record<string, string | number | string[]> = {}) =>
      call('DELETE', path + queryString(query), body),
  };
}

function queryString(query: Record<string, string | number | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * A request whose path is sent byte for byte. fetch() (WHATWG URL) resolves `..` and `%2e%2e`
 * before sending, so traversal attempts can only be tested through node:http.
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface ServerSuite {
  server: TestServer;
  http: ReturnType<typeof api>;
}

/** One real server for the whole suite: started before its first test, stopped after its last. */
export function useTestServer(dialect: DialectName, config: Partial<CicloConfig> = {}): ServerSuite {
  const suite = {} as ServerSuite;
  beforeAll(async () => {
    suite.server = await startTestServer(dialect, config);
    suite.http = api(suite.server.url);
  });
  afterAll(async () => suite.server?.stop());
  return suite;
}
