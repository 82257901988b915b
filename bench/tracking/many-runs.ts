import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '../../test/support/temp.js';
import { elapsedMs, fmt } from '../stats.js';
import { measureBareHttp, timeRoundTrips } from './log-metric.js';
import { createRunOverMlflow } from './log-batch.js';
import { startServerProcess, startUrlPrinter } from './server-process.js';

const RUNS = 30_000;
const METRICS_PER_RUN = 100;
const CLIENTS = 8;
const PAGE = 1000;
const BARE_PAGE_SERVER = fileURLToPath(new URL('./bare-page-server.ts', import.meta.url));

/**
 * bench/tracking-load: tracking writes as users make them, on the embedded default (a `ciclo server` over
 * SQLite): one client's `runs/create` and 100-metric `log-batch` round trips next to a bare `node:http` JSON round
 * trip (their difference is the server's time), then 30,000 runs × 100 metrics logged by 8 clients (create + one
 * log-batch per run) and every run read back through `runs/search` pages of 1,000.
 */
export async function benchTrackingLoad(): Promise<string[]> {
  const home = makeTempDir('ciclo-bench-load-');
  const server = await startServerProcess({ CICLO_HOME: home.dir, CICLO_LOG_LEVEL: 'silent' });
  const api = `${server.url}/api/2.0/mlflow`;
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${api}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  try {
    const lines: string[] = [];
    const bare = await measureBareHttp();
    const probe = await createRunOverMlflow(server.url, 'bench-load-probe');
    // The probe run's experiment, read from the run itself rather than looked up again by name.
    const probeRun = (await (await fetch(`${api}/runs/get?run_id=${probe}`)).json()) as {
      run: { info: { experiment_id: string } };
    };
    const create = await timeRoundTrips(`${api}/runs/create`, () => ({
      experiment_id: probeRun.run.info.experiment_id,
      start_time: Date.now(),
    }));
    const batch = await timeRoundTrips(`${api}/runs/log-batch`, (i) => ({
      run_id: probe,
      metrics: metrics(i),
    }));
    lines.push(
      `bare node:http JSON round trip p50 ${fmt(bare.p50, 3)} ms; ` +
        `one client: runs/create p50 ${fmt(create.p50, 3)} ms ` +
        `(server ≈ ${fmt(create.p50 - bare.p50, 2)} ms, target ≤ 1 ms), log-batch of ${METRICS_PER_RUN} metrics p50 ` +
        `${fmt(batch.p50, 3)} ms (server ≈ ${fmt(batch.p50 - bare.p50, 2)} ms, target ≤ 2 ms)`,
    );

    const created = (await post('experiments/create', { name: 'bench-load' })) as { experiment_id: string };
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < RUNS; i = next++) {
          const run = (await post('runs/create', { experiment_id: created.experiment_id, start_time: Date.now() })) as {
            run: { info: { run_id: string } };
          };
          await post('runs/log-batch', { run_id: run.run.info.run_id, metrics: metrics(i) });
        }
      }),
    );
    const writeMs = elapsedMs(started);
    lines.push(
      `${RUNS} runs × ${METRICS_PER_RUN} metrics by ${CLIENTS} clients (create + one log-batch each): ` +
        `${fmt(writeMs / 1000, 1)} s (target ≤ 60 s)`,
    );

    const readStarted = process.hrtime.bigint();
    let read = 0;
    let points = 0;
    let pages = 0;
    let firstPage: unknown;
    let token: string | undefined;
    do {
      const page = (await post('runs/search', {
        experiment_ids: [created.experiment_id],
        max_results: PAGE,
        ...(token === undefined ? {} : { page_token: token }),
      })) as { runs?: Array<{ data: { metrics?: unknown[] } }>; next_page_token?: string };
      firstPage ??= page;
      pages++;
      for (const run of page.runs ?? []) {
        read++;
        points += run.data.metrics?.length ?? 0;
      }
      token = page.next_page_token;
    } while (token !== undefined && token !== '');
    const readMs = elapsedMs(readStarted);
    const floorMs = await readBackFloor(home.dir, firstPage, pages);
    if (read !== RUNS || points !== RUNS * METRICS_PER_RUN) {
      throw new Error(`read back ${read} runs and ${points} metrics, expected ${RUNS} and ${RUNS * METRICS_PER_RUN}`);
    }
    lines.push(
      `read back through runs/search pages of ${PAGE}: ${read} runs with ${points} latest metrics in ` +
        `${fmt(readMs / 1000, 2)} s (target ≤ 5 s); the same ${pages} pages from bare node:http + JSON.stringify ` +
        `${fmt(floorMs / 1000, 2)} s, ratio ${fmt(readMs / floorMs, 2)}×`,
    );
    return lines;
  } finally {
    await server.stop();
    home.remove();
  }
}

/**
 * The read-back's floor: `pages` requests to a bare node:http process that serializes Ciclo's first page again
 * for each, read and parsed by the same client code. What is left is the server's reading and mapping.
 */
async function readBackFloor(dir: string, page: unknown, pages: number): Promise<number> {
  const file = join(dir, 'page.json');
  writeFileSync(file, JSON.stringify(page));
  const bare = await startUrlPrinter(['--import', 'tsx', BARE_PAGE_SERVER, file]);
  try {
    await (await fetch(bare.url, { method: 'POST', body: '{}' })).json(); // warm up
    const started = process.hrtime.bigint();
    for (let i = 0; i < pages; i++) {
      const response = await fetch(bare.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await response.json();
    }
    return elapsedMs(started);
  } finally {
    await bare.stop();
  }
}

function metrics(seed: number): Array<{ key: string; value: number; timestamp: number; step: number }> {
  const timestamp = Date.now();
  return Array.from({ length: METRICS_PER_RUN }, (_, k) => ({
    key: `m${k}`,
    value: ((seed * 31 + k * 17) % 1000) / 1000,
    timestamp,
    step: 0,
  }));
}
