import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRequestCapture, sensitiveColumns } from '../../src/app/capture.js';
import { DataEngine, sqlString } from '../../src/data/index.js';
import { frameOf, MASKED, ParquetCaptureSink, RequestCapture, type ServedModel } from '../../src/serving/index.js';
import { startScoringServer, type RunningServer } from '../../src/server/index.js';
import { waitFor } from '../support/wait.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { COLUMN_SIGNATURE, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

describe('request capture and feedback', () => {
  let test: TestContext;
  let model: ServedModel;

  beforeAll(async () => {
    test = await openTestContext('sqlite');
    const folder = join(test.dir, 'package');
    await writeServingPackage(
      folder,
      { 'model.onnx': perColumnGraph() },
      { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
    );
    await registerPackage(test.context, 'scorer', folder);
    await test.context.registry.setVersionTag('scorer', 1, 'sensitive_columns', 'age_band, email');
    model = await test.context.serving.load('scorer/1');
  });
  afterAll(async () => {
    await model?.close();
    await test?.drop();
  });

  it('writes requests as hourly Parquet with sensitive columns masked, and keeps feedback by request id', async () => {
    const sensitive = await sensitiveColumns(test.context, await test.context.registry.show('scorer', 1));
    expect([...sensitive].sort()).toEqual(['age_band', 'email']);
    const opened = openRequestCapture(test.context, { deployment: 'scorer-prod', sampleRate: 1, sensitive });
    const server: RunningServer = await startScoringServer({
      context: test.context,
      model,
      host: '127.0.0.1',
      port: 0,
      deployment: 'scorer-prod',
      capture: opened.capture,
    });
    let secondId: string | undefined;
    try {
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      const first = await post(
        '/invocations',
        {
          dataframe_records: [
            { customer_id: 'c1', age_band: '60+', a: 1, b: 1 },
            { customer_id: 'c2', age_band: '18-29', a: 2, b: 0 },
          ],
        },
        { 'x-request-id': 'req-abc' },
      );
      expect(first.headers.get('x-request-id')).toBe('req-abc');
      const second = await post('/v2/models/scorer/infer', {
        inputs: [
          { name: 'a', shape: [1], datatype: 'FP64', data: [5] },
          { name: 'b', shape: [1], datatype: 'FP64', data: [0] },
        ],
      });
      secondId = second.headers.get('x-request-id')!;
      expect(secondId).toMatch(/^[0-9a-f-]{36}$/);
      // A refused request is not captured: nothing was answered.
      expect((await post('/invocations', { dataframe_records: [{ a: 'x', b: 1 }] })).status).toBe(400);

      expect((await post('/feedback', { request_id: 'req-abc', label: 1 })).status).toBe(204);
      expect((await post('/feedback', { request_id: 'req-abc', label: 0 })).status).toBe(204);
      const bad = await post('/feedback', { request_id: 'req abc', label: 1 });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { where: string }).where).toBe('request_id');
      // Feedback no monitor could ever join: a request never answered (nor captured) is refused and counted.
      const unknown = await post('/feedback', { request_id: 'req-never', label: 1 });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', where: 'request_id' });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('ciclo_serving_feedback_unknown_total{deployment="scorer-prod"} 1');
    } finally {
      await server.close();
      await opened.close();
    }

    const files = await test.context.captures.files('scorer-prod');
    expect(files).toHaveLength(1);
    const hour = new Date(files[0]!.hour).toISOString();
    expect(files[0]!.path).toMatch(
      new RegExp(`^captures/scorer-prod/date=${hour.slice(0, 10)}/hour=${hour.slice(11, 13)}/part-.+\\.parquet$`),
    );
    expect(files[0]!.rows).toBe(3);
    const engine = await DataEngine.open({ threads: 1 });
    try {
      const rows = await engine.all(
        `SELECT request_id, "row", model, version, protocol, inputs, outputs, typeof(time) AS time_type
         FROM read_parquet(${sqlString(await test.context.captures.localFile(files[0]!))}) ORDER BY protocol, "row"`,
      );
      expect(rows.map((row) => [row.request_id, row.row, row.protocol, row.version])).toEqual([
        ['req-abc', 0, 'mlflow', 1],
        ['req-abc', 1, 'mlflow', 1],
        [expect.any(String), 0, 'oip', 1],
      ]);
      expect(rows[0]!.time_type).toBe('TIMESTAMP');
      expect(JSON.parse(rows[0]!.inputs as string)).toEqual({ customer_id: 'c1', age_band: MASKED, a: 1, b: 1 });
      expect(JSON.parse(rows[1]!.outputs as string)).toEqual({ score: 4 });
    } finally {
      engine.close();
    }
    expect(await test.context.captures.feedback('scorer-prod')).toMatchObject([{ requestId: 'req-abc', label: 0 }]);
    // Once written, the file's request ids answer for feedback after a restart too.
    expect(await test.context.captures.isCaptured('scorer-prod', 'req-abc')).toBe(true);
    expect(await test.context.captures.isCaptured('scorer-prod', secondId)).toBe(true);
    expect(await test.context.captures.isCaptured('scorer-prod', 'req-never')).toBe(false);
    expect(await test.context.captures.isCaptured('other', 'req-abc')).toBe(false);
    // gc keeps capture files: they are referenced.
    const report = await test.context.integrity.fsck();
    expect(report.unreferenced.map((blob) => blob.digest)).not.toContain(files[0]!.digest);
  });

  it('drops and counts requests when the queue is full, and samples the share asked for', async () => {
    const sink = new ParquetCaptureSink(test.context.captures);
    const request = {
      requestId: 'r',
      time: Date.now(),
      model: 'scorer',
      version: 1,
      protocol: 'mlflow',
      latencyMs: 1,
      inputs: frameOf(1, [['a', [1]]]),
      outputs: frameOf(1, [['score', [3]]]),
    };
    const full = new RequestCapture({
      sink,
      deployment: 'full',
      sampleRate: 1,
      sensitive: new Set(),
      maxQueued: 2,
      flushMs: 60_000,
      metrics: test.context.metrics,
    });
    for (let i = 0; i < 5; i++) full.offer(request);
    expect(full.dropped).toBe(3);
    expect(await test.context.metrics.registry.metrics()).toMatch(
      /^ciclo_serving_capture_dropped_total\{deployment="full"\} 3$/m,
    );
    await full.close();
    expect((await test.context.captures.files('full')).map((file) => file.rows)).toEqual([2]);

    // Half a queue is written at once when no write is under way, long before the timer.
    const busy = new RequestCapture({
      sink,
      deployment: 'busy',
      sampleRate: 1,
      sensitive: new Set(),
      maxQueued: 4,
      flushMs: 60_000,
    });
    busy.offer(request);
    busy.offer(request);
    await waitFor('the early write', async () => (await test.context.captures.files('busy')).length === 1);
    for (let i = 0; i < 3; i++) busy.offer(request);
    expect(busy.dropped).toBe(0);
    await busy.close();
    expect((await test.context.captures.files('busy')).map((file) => file.rows)).toEqual([2, 3]);

    const draws = [0.1, 0.7, 0.2, 0.9, 0.49, 0.5];
    const sampled = new RequestCapture({
      sink,
      deployment: 'sampled',
      sampleRate: 0.5,
      sensitive: new Set(),
      random: () => draws.shift()!,
      flushMs: 60_000,
    });
    for (let i = 0; i < 6; i++) sampled.offer(request);
    await sampled.close();
    await sink.close();
    expect((await test.context.captures.files('sampled')).map((file) => file.rows)).toEqual([3]);
  });
});
