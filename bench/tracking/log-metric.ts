import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { elapsedMs, summarize } from '../stats.js';
import { createRunOverMlflow } from './log-batch.js';

export const ROUND_TRIPS = 2000;

export async function timeRoundTrips(
  url: string,
  body: (i: number) => unknown,
  headers: Record<string, string> = {},
): Promise<ReturnType<typeof summarize>> {
  const durations: number[] = [];
  for (let i = -200; i < ROUND_TRIPS; i++) {
    const start = process.hrtime.bigint();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body(i)),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    if (i >= 0) durations.push(elapsedMs(start)); // the first 200 warm up
  }
  return summarize(durations);
}

/** One `log-metric` request at a time, as a script logging a point per step would do. */
export async function measureLogMetric(serverUrl: string): Promise<ReturnType<typeof summarize>> {
  const runId = await createRunOverMlflow(serverUrl, 'bench-log-metric');
  return timeRoundTrips(`${serverUrl}/api/2.0/mlflow/runs/log-metric`, (i) => ({
    run_id: runId,
    key: 'loss',
    value: 1 / (i + 201),
    timestamp: Date.now(),
    step: i + 200,
  }));
}

/** The floor: a bare node:http server that parses the same JSON and answers `{}`. */
export async function measureBareHttp(): Promise<ReturnType<typeof summarize>> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await timeRoundTrips(`http://127.0.0.1:${port}/`, (i) => ({
      run_id: 'x',
      key: 'loss',
      value: i,
      timestamp: Date.now(),
      step: i,
    }));
  } finally {
    server.close();
  }
}
