import { Agent, request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/common/config.js';
import { DataEngine, readFilesSql, sqlString } from '../../src/data/duckdb.js';
import {
  defineFeatureView,
  getHistorical,
  materialize,
  openOnlineStore,
  prepareView,
} from '../../src/features/index.js';
import { startServerProcess, startUrlPrinter } from '../tracking/server-process.js';
import { elapsedMs, fmt, summarize } from '../stats.js';

/**
 * (c) point-in-time join: `entityRows` entity rows (customer, timestamp) against `featureRows`
 * feature rows through `getHistorical`, next to DuckDB running a bare ASOF join of the same tables.
 */
export async function benchPointInTime(
  engine: DataEngine,
  dir: string,
  entityRows: number,
  featureRows: number,
): Promise<string> {
  const customers = Math.floor(featureRows / 50);
  const entities = path.join(dir, 'entities.parquet');
  const features = path.join(dir, 'features.parquet');
  await engine.run(
    `COPY (SELECT (hash(i, 1) % ${customers})::BIGINT AS customer_id,
                  TIMESTAMP '2024-01-01' + INTERVAL (hash(i, 2) % 31536000) SECOND AS event_timestamp
           FROM range(${entityRows}) t(i)) TO ${sqlString(entities)} (FORMAT parquet)`,
  );
  await engine.run(
    `COPY (SELECT (i % ${customers})::BIGINT AS customer_id,
                  TIMESTAMP '2023-12-01' + INTERVAL (hash(i, 3) % 34128000) SECOND AS event_time,
                  (hash(i, 4) % 10000) / 100.0 AS spend, (hash(i, 5) % 20)::INTEGER AS calls
           FROM range(${featureRows}) t(i)) TO ${sqlString(features)} (FORMAT parquet)`,
  );
  const view = await prepareView(
    engine,
    defineFeatureView({
      name: 'usage',
      entities: ['customer_id'],
      event_time: 'event_time',
      source: { path: features },
      features: ['spend', 'calls'],
      ttl: '30d',
    }),
  );
  let start = process.hrtime.bigint();
  const rows = await getHistorical(engine, { entities: { file: entities }, views: [view] });
  const ciclo = elapsedMs(start);
  start = process.hrtime.bigint();
  const bare = await engine.all(
    `SELECT e.customer_id, e.event_timestamp,
            CASE WHEN f.event_time >= e.event_timestamp - INTERVAL 30 DAY THEN f.spend END AS spend,
            CASE WHEN f.event_time >= e.event_timestamp - INTERVAL 30 DAY THEN f.calls END AS calls
     FROM ${readFilesSql([entities], 'parquet')} e
     ASOF LEFT JOIN ${readFilesSql([features], 'parquet')} f
       ON e.customer_id = f.customer_id AND e.event_timestamp >= f.event_time`,
  );
  const raw = elapsedMs(start);
  if (rows.length !== entityRows || bare.length !== entityRows)
    throw new Error(`expected ${entityRows} rows, got ${rows.length} / ${bare.length}`);
  return (
    `(c) point-in-time join, ${entityRows.toLocaleString('en')} entity rows × ` +
    `${featureRows.toLocaleString('en')} feature rows (${customers.toLocaleString('en')} customers, TTL 30d): ` +
    `Ciclo getHistorical ${fmt(ciclo / 1000, 1)} s (target < 30 s); ` +
    `DuckDB bare ASOF join ${fmt(raw / 1000, 1)} s; ratio ${fmt(ciclo / raw)}x`
  );
}

/**
 * (d) online lookup over HTTP at a steady `rate` requests/s for `seconds`: Ciclo's
 * `POST /api/v1/features/online` against a bare node:http server reading the same SQLite online
 * store with one prepared statement. Requests are sent on schedule (open loop), so a slow answer
 * cannot slow the load down and hide its own latency.
 */
export async function benchOnlineLookup(
  engine: DataEngine,
  dir: string,
  rate: number,
  seconds: number,
): Promise<string> {
  const entitiesCount = 100_000;
  const file = path.join(dir, 'online-source.parquet');
  await engine.run(
    `COPY (SELECT i::BIGINT AS customer_id, TIMESTAMP '2024-01-01' + INTERVAL (i % 86400) SECOND AS event_time,
                  (hash(i) % 10000) / 100.0 AS spend, (hash(i, 2) % 20)::INTEGER AS calls
           FROM range(${entitiesCount}) t(i)) TO ${sqlString(file)} (FORMAT parquet)`,
  );
  const config = loadConfig({ CICLO_HOME: path.join(dir, 'home'), CICLO_LOG_LEVEL: 'silent' }, dir);
  const store = openOnlineStore(config);
  const view = await prepareView(
    engine,
    defineFeatureView({
      name: 'usage',
      entities: ['customer_id'],
      event_time: 'event_time',
      source: { path: file },
      features: ['spend', 'calls'],
    }),
  );
  await materialize(engine, view, store);
  await store.close();

  // Both servers in processes of their own, so the load generator does not share their event loop.
  const ciclo = await startServerProcess({ CICLO_HOME: config.home, CICLO_LOG_LEVEL: 'silent' });
  const bare = await startUrlPrinter(['--import', 'tsx', BARE_SERVER, path.join(config.home, 'online.db')]);
  try {
    const body = (id: number) => JSON.stringify({ view: 'usage', entities: [{ customer_id: id }] });
    // A short warm-up of each (JIT, connection pool), not measured.
    await openLoop(`${ciclo.url}/api/v1/features/online`, body, rate, 1);
    await openLoop(`${bare.url}/lookup`, body, rate, 1);
    const measured = await openLoop(`${ciclo.url}/api/v1/features/online`, body, rate, seconds);
    const raw = await openLoop(`${bare.url}/lookup`, body, rate, seconds);
    const c = summarize(measured.latencies);
    const r = summarize(raw.latencies);
    return (
      `(d) online lookup over HTTP, ${rate} requests/s for ${seconds} s ` +
      `(SQLite online store, ${entitiesCount.toLocaleString('en')} entities; servers in their own processes): ` +
      `Ciclo p50 ${fmt(c.p50)} ms, p99 ${fmt(c.p99)} ms (target p99 < 3 ms; ${measured.errors} errors); ` +
      `bare node:http + better-sqlite3 p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms; p99 ratio ${fmt(c.p99 / r.p99)}x`
    );
  } finally {
    await ciclo.stop();
    await bare.stop();
  }
}

const BARE_SERVER = fileURLToPath(new URL('./bare-lookup-server.ts', import.meta.url));

async function openLoop(
  url: string,
  body: (id: number) => string,
  rate: number,
  seconds: number,
): Promise<{ latencies: number[]; errors: number }> {
  const total = rate * seconds;
  const latencies: number[] = [];
  let errors = 0;
  // node:http with kept-alive sockets: the lightest client Node has, so it measures the server.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL(url);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const payload = body(i % 100_000);
    pending.push(
      new Promise<void>((resolve) => {
        const sent = performance.now();
        const request = httpRequest(
          {
            agent,
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          },
          (response) => {
            response.resume();
            response.on('end', () => {
              if ((response.statusCode ?? 500) >= 400) errors++;
              latencies.push(performance.now() - sent);
              resolve();
            });
          },
        );
        request.on('error', () => {
          errors++;
          resolve();
        });
        request.end(payload);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return { latencies, errors };
}
