import { loadavg } from 'node:os';
import { fmt, summarize } from '../stats.js';
import type { ServerProcess } from '../tracking/server-process.js';
import { inferBodies, invocationBodies, servingFixture, TRAIN_ROWS } from './fixture.js';
import { closedLoop, firstAnswer, openLoop, type LoadResult, type Target } from './load.js';
import {
  metricSum,
  startCicloServe,
  startFastApiServer,
  startRawOnnxServer,
  startScoringProcess,
} from './processes.js';

/** Seconds per measurement; each side of a comparison is measured ROUNDS times, the sides alternating. */
const SECONDS = 3;
const ROUNDS = 2;
/** Capture writes its queue every 5 s: windows as long, so each one pays for about one write. */
const CAPTURE_SECONDS = 5;
/** Below what the capture keeps up with (10,000 queued requests written every 5 s: 2000/s). */
const CAPTURE_RATE = 1500;
/** Closed-loop clients for "max load": enough to keep one server core busy on this machine. */
const MAX_LOAD_CLIENTS = 16;
const BATCH_CLIENTS = 64;
const INVOCATIONS = '/invocations';
const INFER = '/v2/models/churn/infer';
const CPU_SERIES = 'ciclo_process_cpu_seconds_total';

/**
 * bench/serving: Ciclo's scoring against its floors, in one run, on one model: the churn example's
 * forest (50 trees, depth 6, trained by examples/churn on 4000 generated rows) exported to ONNX and
 * registered, served by the real `ciclo serve` in a process of its own. The floors, each in its own
 * process too: node:http + onnxruntime-node over the same graph with hand-built tensors (raw), and
 * FastAPI + uvicorn + scikit-learn serving the same forest trained by scikit-learn on the same rows
 * (what `mlflow models serve` runs). The load generator (undici) is this process.
 */
export async function benchServing(): Promise<string[]> {
  const loads = [loadavg()[0]!];
  const fixture = await servingFixture();
  const servers: ServerProcess[] = [];
  const start = async (starting: Promise<ServerProcess>): Promise<ServerProcess> => {
    const server = await starting;
    servers.push(server);
    return server;
  };
  const stop = async (server: ServerProcess) => {
    servers.splice(servers.indexOf(server), 1);
    await server.stop();
  };
  const records = invocationBodies(fixture.records);
  const tensors = inferBodies(fixture.records);
  const lines: string[] = [];
  try {
    const ciclo = (await start(startCicloServe('churn/1', fixture.home, 0))).url;
    const raw = (await start(startRawOnnxServer(fixture.onnxFile))).url;
    // The same program as ciclo serve with batching off: how much of (1) batching accounts for, and (4)'s "off".
    const off = await start(startScoringProcess('churn/1', fixture.home, 'off'));
    await checkSameScores(ciclo, raw, records, tensors);
    // A first warm-up of the servers on both protocols (JIT, onnxruntime's first runs), not measured.
    for (const url of [ciclo, raw, off.url]) {
      await closedLoop(target(url, INVOCATIONS, records), MAX_LOAD_CLIENTS, 1);
      await closedLoop(target(url, INFER, tensors), MAX_LOAD_CLIENTS, 1);
    }

    // (1) max load, 1-row requests, both protocols.
    const batchesBefore = await batchCounts(ciclo);
    const [mlflowCiclo, mlflowRaw, mlflowOff] = await alternate(
      [target(ciclo, INVOCATIONS, records), target(raw, INVOCATIONS, records), target(off.url, INVOCATIONS, records)],
      (side) => closedLoop(side, MAX_LOAD_CLIENTS, SECONDS),
    );
    const mlflowBatch = meanBatch(batchesBefore, await batchCounts(ciclo));
    const batchesBetween = await batchCounts(ciclo);
    const [oipCiclo, oipRaw, oipOff] = await alternate(
      [target(ciclo, INFER, tensors), target(raw, INFER, tensors), target(off.url, INFER, tensors)],
      (side) => closedLoop(side, MAX_LOAD_CLIENTS, SECONDS),
    );
    const oipBatch = meanBatch(batchesBetween, await batchCounts(ciclo));
    lines.push(
      throughputLine(
        '(1) 1-row POST /invocations (dataframe_records)',
        mlflowCiclo!,
        mlflowRaw!,
        mlflowBatch,
        mlflowOff!,
      ),
      throughputLine('(1) 1-row OIP POST /v2/models/churn/infer', oipCiclo!, oipRaw!, oipBatch, oipOff!),
    );
    loads.push(loadavg()[0]!);

    // (2) latency at half of Ciclo's max load, open loop, the same rate for both.
    const rate = Math.max(100, Math.round(mlflowCiclo!.rate / 2 / 100) * 100);
    const [halfCiclo, halfRaw] = await alternate(
      [target(ciclo, INVOCATIONS, records), target(raw, INVOCATIONS, records)],
      (side) => openLoop(side, rate, SECONDS),
    );
    const c = summarize(halfCiclo!.latencies);
    const r = summarize(halfRaw!.latencies);
    lines.push(
      `(2) 1-row /invocations, open loop at ${rate} req/s (half of Ciclo's max) for ${ROUNDS} × ${SECONDS} s: ` +
        `Ciclo p50 ${fmt(c.p50, 3)} ms, p99 ${fmt(c.p99, 3)} ms; raw p50 ${fmt(r.p50, 3)} ms, ` +
        `p99 ${fmt(r.p99, 3)} ms; ratio p50 ${fmt(c.p50 / r.p50)}x, p99 ${fmt(c.p99 / r.p99)}x` +
        errorsNote(halfCiclo!, halfRaw!),
    );

    // (3) what `mlflow models serve` runs.
    const fastapi = await start(startFastApiServer(fixture.trainCsv));
    const score = ((await firstAnswer(target(fastapi.url, INVOCATIONS, records))) as { predictions: number[] })
      .predictions[0];
    if (typeof score !== 'number' || score < 0 || score > 1) throw new Error(`FastAPI answered ${score}`);
    const [versusCiclo, python] = await alternate(
      [target(ciclo, INVOCATIONS, records), target(fastapi.url, INVOCATIONS, records)],
      (side) => closedLoop(side, MAX_LOAD_CLIENTS, SECONDS),
    );
    await stop(fastapi);
    lines.push(
      `(3) 1-row /invocations, ${MAX_LOAD_CLIENTS} clients: FastAPI + uvicorn (1 worker) + scikit-learn ` +
        `RandomForestClassifier(50 trees, depth 6) trained on the same ${TRAIN_ROWS} rows ` +
        `${fmt(python!.rate, 0)} req/s (p50 ${fmt(summarize(python!.latencies).p50)} ms); ` +
        `Ciclo ${fmt(versusCiclo!.rate, 0)} req/s; ratio ${fmt(versusCiclo!.rate / python!.rate, 1)}x ` +
        `(target ≥ 5x)${errorsNote(versusCiclo!, python!)}`,
    );
    loads.push(loadavg()[0]!);

    // (4) batching on (ciclo serve's default) vs off (startScoringServer over a model loaded with batching: false).
    const control = await start(startScoringProcess('churn/1', fixture.home, 'on'));
    lines.push(await batchingLine('churn/1 (ONNX, in process)', ciclo, off.url, control.url));
    await stop(off);
    await stop(control);
    const pythonOn = await start(startCicloServe('churn-sklearn/1', fixture.home, 0));
    const pythonOff = await start(startScoringProcess('churn-sklearn/1', fixture.home, 'off'));
    lines.push(
      await batchingLine("churn-sklearn/1 (scikit-learn, Ciclo's python worker)", pythonOn.url, pythonOff.url),
    );
    await stop(pythonOn);
    await stop(pythonOff);
    loads.push(loadavg()[0]!);

    // (5) request capture: every request sampled (--capture 1) vs none (--capture 0). First at a rate the
    // capture keeps up with (its queue holds 10,000 requests, written every 5 s), where its cost is the
    // server's CPU per request and the tail latency; then at max load, where it drops what does not fit.
    const capture = await start(startCicloServe('churn/1', fixture.home, 1));
    const paced = await pacedCosts([ciclo, capture.url], records);
    const pacedDropped = await metricSum(capture.url, 'ciclo_serving_capture_dropped_total');
    const pacedAnswered = await metricSum(capture.url, 'ciclo_serving_requests_total');
    lines.push(
      `(5) capture, 1-row /invocations, open loop at ${CAPTURE_RATE} req/s, ${ROUNDS} × ${CAPTURE_SECONDS} s: ` +
        `server CPU per request --capture 1 ${fmt(paced[1]!.cpuUs, 0)} µs, --capture 0 ${fmt(paced[0]!.cpuUs, 0)} µs ` +
        `(+${fmt(paced[1]!.cpuUs - paced[0]!.cpuUs, 0)} µs, ` +
        `${fmt((paced[1]!.cpuUs / paced[0]!.cpuUs - 1) * 100, 1)}%; ` +
        `idle time included on both sides); p50 / p99 ` +
        `${fmt(paced[1]!.p50, 3)} / ${fmt(paced[1]!.p99, 3)} ms against ${fmt(paced[0]!.p50, 3)} / ` +
        `${fmt(paced[0]!.p99, 3)} ms; ${pacedDropped} dropped` +
        errorsNote(...paced.map((side) => side.result)),
    );
    const [captureOff, captureOn] = await alternate(
      [target(ciclo, INVOCATIONS, records), target(capture.url, INVOCATIONS, records)],
      (side) => closedLoop(side, MAX_LOAD_CLIENTS, CAPTURE_SECONDS),
    );
    const answered = await metricSum(capture.url, 'ciclo_serving_requests_total');
    const dropped = await metricSum(capture.url, 'ciclo_serving_capture_dropped_total');
    lines.push(
      `(5) capture, 1-row /invocations, ${MAX_LOAD_CLIENTS} clients, ${ROUNDS} × ${CAPTURE_SECONDS} s: ` +
        `--capture 1 ${fmt(captureOn!.rate, 0)} req/s, --capture 0 ${fmt(captureOff!.rate, 0)} req/s; ` +
        `cost ${fmt((1 - captureOn!.rate / captureOff!.rate) * 100, 1)}% (target ≤ 10%); ` +
        `${dropped - pacedDropped} of the ${answered - pacedAnswered} requests the capturing server answered ` +
        'dropped from its full queue' +
        errorsNote(captureOff!, captureOn!),
    );
    loads.push(loadavg()[0]!);
  } finally {
    for (const server of servers.splice(0)) await server.stop();
    fixture.remove();
  }
  lines.push(`1-minute load average during the run: ${loads.map((load) => fmt(load)).join(', ')}`);
  return lines;

  async function batchingLine(what: string, on: string, off: string, control?: string): Promise<string> {
    const sides = [on, off, ...(control === undefined ? [] : [control])];
    const before = await Promise.all(sides.map(batchCounts));
    // Each server's CPU over its own measured rounds (prom-client's process series: onnxruntime's threads too).
    const cpu = new Map(sides.map((url) => [url, { seconds: 0, requests: 0 }]));
    const [batched, unbatched, same] = await alternate(
      sides.map((url) => target(url, INVOCATIONS, records)),
      async (side) => {
        const started = await metricSum(side.url, CPU_SERIES);
        const result = await closedLoop(side, BATCH_CLIENTS, SECONDS);
        const spent = cpu.get(side.url)!;
        spent.seconds += (await metricSum(side.url, CPU_SERIES)) - started;
        spent.requests += result.requests;
        return result;
      },
    );
    const after = await Promise.all(sides.map(batchCounts));
    const cpuUs = (url: string) => fmt((cpu.get(url)!.seconds / cpu.get(url)!.requests) * 1e6, 0);
    const latency = (result: LoadResult) => {
      const { p50, p99 } = summarize(result.latencies);
      return `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`;
    };
    return (
      `(4) ${what}, ${BATCH_CLIENTS} clients, 1-row /invocations: batching on (ciclo serve) ` +
      `${fmt(batched!.rate, 0)} req/s (${meanBatch(before[0]!, after[0]!)} rows per runtime call; ` +
      `${latency(batched!)}); off ${fmt(unbatched!.rate, 0)} req/s (${latency(unbatched!)}); ` +
      `ratio ${fmt(batched!.rate / unbatched!.rate)}x (target ≥ 2x); server CPU per request on ${cpuUs(on)} µs, ` +
      `off ${cpuUs(off)} µs` +
      (same === undefined
        ? ''
        : `; control, the off program with batching on: ${fmt(same.rate, 0)} req/s ` +
          `(${meanBatch(before[2]!, after[2]!)} rows per call)`) +
      errorsNote(batched!, unbatched!, ...(same === undefined ? [] : [same]))
    );
  }
}

/**
 * Open loop at CAPTURE_RATE on each server in turn, and each one's CPU time per request answered (prom-client's
 * process series) over the whole phase, up to after the capture's next timed write: its writes count wherever
 * they fall. Both servers sit idle while the other is measured, so idle time costs them alike.
 */
async function pacedCosts(
  urls: string[],
  bodies: readonly string[],
): Promise<{ cpuUs: number; p50: number; p99: number; result: LoadResult }[]> {
  const cpu = (url: string) => metricSum(url, CPU_SERIES);
  // Warmed up at the same pace: a closed loop could overfill the capture's queue before the measurement.
  for (const url of urls) await openLoop(target(url, INVOCATIONS, bodies), CAPTURE_RATE, 1);
  const before = await Promise.all(urls.map(cpu));
  const results = urls.map((): LoadResult[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, url] of urls.entries()) {
      results[i]!.push(await openLoop(target(url, INVOCATIONS, bodies), CAPTURE_RATE, CAPTURE_SECONDS));
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 5200));
  const after = await Promise.all(urls.map(cpu));
  return results.map((rounds, i) => {
    const requests = rounds.reduce((sum, result) => sum + result.requests, 0);
    const { p50, p99 } = summarize(rounds.flatMap((result) => result.latencies));
    const errors = rounds.reduce((sum, result) => sum + result.errors, 0);
    const cpuUs = ((after[i]! - before[i]!) / requests) * 1e6;
    return { cpuUs, p50, p99, result: { requests, errors, rate: 0, latencies: [] } };
  });
}

function target(url: string, path: string, bodies: readonly string[]): Target {
  return { url, path, bodies };
}

/**
 * Each side warmed up (JIT, connections), then measured ROUNDS times, the sides taking turns so that
 * the machine's drift hits all of them; per side, the rounds' requests and latencies together.
 */
async function alternate(sides: Target[], measure: (side: Target) => Promise<LoadResult>): Promise<LoadResult[]> {
  for (const side of sides) await closedLoop(side, 8, 1);
  const rounds = sides.map((): LoadResult[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, side] of sides.entries()) rounds[i]!.push(await measure(side));
  }
  return rounds.map((results) => ({
    requests: results.reduce((sum, result) => sum + result.requests, 0),
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    rate: results.reduce((sum, result) => sum + result.rate, 0) / results.length,
    latencies: results.flatMap((result) => result.latencies),
  }));
}

/** Ciclo and the raw server must give the same score for the same row, over both protocols. */
async function checkSameScores(ciclo: string, raw: string, records: string[], tensors: string[]): Promise<void> {
  const invocation = async (url: string) =>
    ((await firstAnswer(target(url, INVOCATIONS, records))) as { predictions: number[] }).predictions[0];
  const infer = async (url: string) =>
    ((await firstAnswer(target(url, INFER, tensors))) as { outputs: { data: number[] }[] }).outputs[0]!.data[0];
  const scores = [await invocation(ciclo), await invocation(raw), await infer(ciclo), await infer(raw)];
  if (typeof scores[0] !== 'number' || scores.some((score) => score !== scores[0])) {
    throw new Error(`Ciclo and the raw server score the same row differently: ${scores.join(', ')}`);
  }
}

interface BatchCounts {
  rows: number;
  calls: number;
}

async function batchCounts(url: string): Promise<BatchCounts> {
  return {
    rows: await metricSum(url, 'ciclo_serving_batch_rows_sum'),
    calls: await metricSum(url, 'ciclo_serving_batch_rows_count'),
  };
}

function meanBatch(before: BatchCounts, after: BatchCounts): string {
  return fmt((after.rows - before.rows) / (after.calls - before.calls));
}

function throughputLine(what: string, ciclo: LoadResult, raw: LoadResult, batch: string, off: LoadResult): string {
  return (
    `${what}, ${MAX_LOAD_CLIENTS} clients, ${ROUNDS} × ${SECONDS} s: Ciclo ${fmt(ciclo.rate, 0)} req/s ` +
    `(p50 ${fmt(summarize(ciclo.latencies).p50)} ms, ${batch} rows per runtime call); ` +
    `raw node:http + onnxruntime-node ${fmt(raw.rate, 0)} req/s (p50 ${fmt(summarize(raw.latencies).p50)} ms); ` +
    `ratio ${fmt((ciclo.rate / raw.rate) * 100, 1)}% (target ≥ 85%); ` +
    `the same Ciclo with batching off ${fmt(off.rate, 0)} req/s (${fmt((off.rate / raw.rate) * 100, 1)}% of raw)` +
    errorsNote(ciclo, raw, off)
  );
}

function errorsNote(...results: LoadResult[]): string {
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  return errors === 0 ? '' : `; ${errors} failed requests`;
}
