import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedModel } from '../../src/serving/index.js';
import { startScoringServer, type RunningServer } from '../../src/server/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { COLUMN_SIGNATURE, expectedScore, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

/** A scoring server for scorer@champion (an ONNX graph: score = a * 2 + b) over real HTTP on 127.0.0.1. */
describe('scoring protocols on one served model', () => {
  let test: TestContext;
  let model: ServedModel;
  let server: RunningServer;

  beforeAll(async () => {
    test = await openTestContext('sqlite', { maxBodyBytes: 64 * 1024 });
    const folder = join(test.dir, 'package');
    await writeServingPackage(
      folder,
      { 'model.onnx': perColumnGraph() },
      { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
    );
    const version = await registerPackage(test.context, 'scorer', folder);
    await test.context.registry.setAlias('scorer', 'champion', version);
    model = await test.context.serving.load('scorer@champion');
    server = await startScoringServer({ context: test.context, model, host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await model?.close();
    await test?.drop();
  });

  async function post(path: string, body: unknown, contentType = 'application/json') {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const rows = [
    { a: 1, b: 0.5 },
    { a: -2.25, b: 10 },
    { a: 0, b: 0 },
  ];
  const expected = rows.map((row) => expectedScore(row.a, row.b));

  it('answers MLflow /invocations in every input form with the same predictions', async () => {
    const forms = [
      { dataframe_split: { columns: ['a', 'b'], data: rows.map((row) => [row.a, row.b]) } },
      { dataframe_records: rows },
      // Extra columns are dropped, as MLflow's schema enforcement does.
      { dataframe_records: rows.map((row, i) => ({ customer_id: `c${i}`, ...row })) },
      { instances: rows },
      { inputs: { a: rows.map((row) => row.a), b: rows.map((row) => row.b) } },
      { dataframe_split: { columns: ['b', 'a'], data: rows.map((row) => [row.b, row.a]) }, params: {} },
    ];
    for (const form of forms) {
      const answer = await post('/invocations', form);
      expect(answer, JSON.stringify(form)).toEqual({ status: 200, body: { predictions: expected } });
    }
    const csv = `a,b\n${rows.map((row) => `${row.a},${row.b}`).join('\n')}\n`;
    expect(await post('/invocations', csv, 'text/csv')).toEqual({ status: 200, body: { predictions: expected } });
  });

  it('refuses a request that does not fit the signature with 400 naming the column and row', async () => {
    const missing = await post('/invocations', { dataframe_records: [{ a: 1 }] });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'b' });
    expect(missing.body.message).toContain("input column 'b' is missing");

    const wrongType = await post('/invocations', {
      dataframe_records: [
        { a: 1, b: 2 },
        { a: 'one', b: 2 },
      ],
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ where: 'a[1]' });
    expect(wrongType.body.message).toBe(`input column 'a', row 1: is "one"`);
    expect(wrongType.body.hint).toBe("Send a number in column 'a'.");

    const nulls = await post('/invocations', { dataframe_split: { columns: ['a', 'b'], data: [[1, null]] } });
    expect(nulls.body).toMatchObject({
      where: 'b[0]',
      message: "input column 'b', row 0: is null, but the column is required",
    });

    const twoForms = await post('/invocations', { dataframe_records: rows, instances: rows });
    expect(twoForms.status).toBe(400);
    expect(twoForms.body.message).toContain('exactly one of dataframe_split, dataframe_records, instances, inputs');
    for (const answer of [missing, wrongType, nulls, twoForms])
      expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('answers malformed JSON and CSV with 400 and where it broke, an oversized body with 413', async () => {
    const json = await post('/invocations', '{"dataframe_records": [{"a": 1,}]}');
    expect(json.status).toBe(400);
    expect(json.body.error_code).toBe('MALFORMED_REQUEST');
    expect(json.body.message).toMatch(/position \d+|line \d+ column \d+/);

    const csv = await post('/invocations', 'a,b\n1,2\n3\n', 'text/csv');
    expect(csv.status).toBe(400);
    expect(csv.body).toMatchObject({ where: 'body:3' });
    expect(csv.body.message).toContain('on line 3');

    const notNumber = await post('/invocations', 'a,b\n1,2\nx,4\n', 'text/csv');
    expect(notNumber.body).toMatchObject({ where: 'a[1]', message: 'line 3: a[1] is "x", not a number' });

    const big = await post('/invocations', { dataframe_records: Array.from({ length: 5000 }, () => rows[0]) });
    expect(big.status).toBe(413);
    expect(big.body.error_code).toBe('REQUEST_TOO_LARGE');
  });

  it('answers the MLflow probes', async () => {
    for (const path of ['/ping', '/health']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status).toBe(200);
    }
    const version = await fetch(`${server.url}/version`);
    expect(await version.text()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers the Open Inference Protocol v2: health, metadata, infer, and its error shape', async () => {
    expect(await (await fetch(`${server.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect(await (await fetch(`${server.url}/v2/health/ready`)).json()).toEqual({ ready: true });
    expect(await (await fetch(`${server.url}/v2/models/scorer`)).json()).toEqual({
      name: 'scorer',
      versions: ['1'],
      platform: 'ciclo-onnx',
      inputs: [
        { name: 'a', datatype: 'FP64', shape: [-1] },
        { name: 'b', datatype: 'FP64', shape: [-1] },
      ],
      outputs: [{ name: 'score', datatype: 'FP64', shape: [-1] }],
    });
    expect(await (await fetch(`${server.url}/v2/models/scorer/versions/1/ready`)).json()).toEqual({
      name: 'scorer',
      ready: true,
    });

    const request = {
      id: 'req-1',
      inputs: [
        { name: 'a', shape: [3, 1], datatype: 'FP64', data: rows.map((row) => row.a) },
        { name: 'b', shape: [3], datatype: 'FP32', data: rows.map((row) => row.b) },
      ],
    };
    for (const path of ['/v2/models/scorer/infer', '/v2/models/scorer/versions/1/infer']) {
      expect(await post(path, request)).toEqual({
        status: 200,
        body: {
          model_name: 'scorer',
          model_version: '1',
          id: 'req-1',
          outputs: [{ name: 'score', datatype: 'FP64', shape: [3], data: expected }],
        },
      });
    }

    const otherModel = await post('/v2/models/other/infer', request);
    expect(otherModel.status).toBe(404);
    expect(Object.keys(otherModel.body)).toEqual(['error']);
    expect((await post('/v2/models/scorer/versions/2/infer', request)).status).toBe(404);

    const badShape = await post('/v2/models/scorer/infer', {
      inputs: [{ name: 'a', shape: [2], datatype: 'FP64', data: [1, 2, 3] }, request.inputs[1]],
    });
    expect(badShape).toEqual({ status: 400, body: { error: 'inputs[0]: shape [2] holds 2 values, data has 3' } });
    const badType = await post('/v2/models/scorer/infer', {
      inputs: [
        { name: 'a', shape: [1], datatype: 'BYTES', data: ['x'] },
        { name: 'b', shape: [1], datatype: 'FP64', data: [1] },
      ],
    });
    expect(badType).toEqual({ status: 400, body: { error: "input 'a' is BYTES, the model takes FP64" } });
    const unknownInput = await post('/v2/models/scorer/infer', {
      inputs: [{ name: 'c', shape: [1], datatype: 'FP64', data: [1] }],
    });
    expect(unknownInput.body.error).toBe("inputs[0]: the model has no input 'c' (it takes a, b)");
  });

  it('counts scoring requests, latency and the load time on /metrics', async () => {
    await post('/invocations', { dataframe_records: rows });
    await post('/invocations', { dataframe_records: [{ a: 'x', b: 1 }] });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const series = (name: string, labels: string) =>
      Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const labels = 'deployment="",model="scorer",version="1"';
    expect(series('ciclo_serving_requests_total', `${labels},protocol="mlflow",status="200"`)).toBeGreaterThanOrEqual(
      1,
    );
    expect(series('ciclo_serving_requests_total', `${labels},protocol="mlflow",status="400"`)).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      series('ciclo_serving_request_duration_seconds_count', `${labels},protocol="mlflow"`),
    ).toBeGreaterThanOrEqual(2);
    expect(series('ciclo_serving_model_load_seconds', `${labels},runtime="onnx"`)).toBeGreaterThan(0);
    expect(
      series('ciclo_http_requests_total', 'method="POST",route="/invocations",status="200"'),
    ).toBeGreaterThanOrEqual(1);
  });
});
