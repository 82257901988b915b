/**
 * The load generator of bench/serving, in the bench process: undici (a dependency of
 * @fastify/reply-from, the lightest HTTP/1.1 client Node has) with kept-alive connections.
 * Closed loop for throughput (each client sends its next request when its answer has arrived) and
 * open loop for latency (requests sent on schedule, so a slow answer cannot slow the load down).
 */
import { Pool } from 'undici';

/** One scoring endpoint and the request bodies to send it in turn (pre-serialized: the client does no JSON). */
export interface Target {
  url: string;
  path: string;
  bodies: readonly string[];
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Answered requests per second. */
  rate: number;
  /** Every request's round trip in ms. */
  latencies: number[];
}

const HEADERS = { 'content-type': 'application/json' };

/** The first answer to the first body, parsed: the bench checks every server scores as the others do. */
export async function firstAnswer(target: Target): Promise<unknown> {
  const response = await fetch(`${target.url}${target.path}`, {
    method: 'POST',
    headers: HEADERS,
    body: target.bodies[0]!,
  });
  if (!response.ok) throw new Error(`${target.url}${target.path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/** `clients` connections, each a request in flight at a time, for `seconds`. */
export async function closedLoop(target: Target, clients: number, seconds: number): Promise<LoadResult> {
  const pool = new Pool(target.url, { connections: clients, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const body = target.bodies[next++ % target.bodies.length]!;
      const sent = performance.now();
      try {
        const response = await pool.request({ path: target.path, method: 'POST', headers: HEADERS, body });
        await response.body.dump();
        if (response.statusCode !== 200) errors++;
        else latencies.push(performance.now() - sent);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { requests: latencies.length, errors, rate: latencies.length / elapsed, latencies };
}

/** `rate` requests a second for `seconds`, each sent when due whether the earlier ones were answered or not. */
export async function openLoop(target: Target, rate: number, seconds: number): Promise<LoadResult> {
  const pool = new Pool(target.url, { connections: 128, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    const body = target.bodies[i % target.bodies.length]!;
    pending.push(
      pool.request({ path: target.path, method: 'POST', headers: HEADERS, body }).then(
        async (response) => {
          await response.body.dump();
          if (response.statusCode !== 200) errors++;
          else latencies.push(performance.now() - sent);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { requests: latencies.length, errors, rate: latencies.length / elapsed, latencies };
}
