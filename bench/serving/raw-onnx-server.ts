/**
 * The floor of bench/serving, in a process of its own: node:http and one onnxruntime-node session
 * over the same model.onnx, created with Ciclo's own session options (ONNX_SESSION_OPTIONS: one
 * intra-op thread), the tensors built by hand for the churn graph (four double and three string
 * inputs, [rows, 1] each), no checks, no batching, no metrics. `POST /invocations` takes
 * `dataframe_records`; `POST /v2/models/churn/infer` takes OIP tensors. argv: the .onnx file.
 * Prints `{"url": …}` once it listens.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';
import { ONNX_SESSION_OPTIONS } from '../../src/serving/runtimes/onnx-model.js';

const NUMERIC = ['tenure_months', 'monthly_charges', 'total_charges', 'support_calls'];
const CATEGORICAL = ['contract', 'payment_method', 'internet_service'];
const OUTPUT = 'churn_score';

type Cell = number | string;
interface InferInput {
  name: string;
  shape: number[];
  data: Cell[];
}

const session = await ort.InferenceSession.create(process.argv[2]!, ONNX_SESSION_OPTIONS);

function recordFeeds(records: readonly Record<string, Cell>[]): Record<string, ort.Tensor> {
  const rows = records.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of NUMERIC)
    feeds[name] = new ort.Tensor(
      'float64',
      Float64Array.from(records, (r) => r[name] as number),
      [rows, 1],
    );
  for (const name of CATEGORICAL)
    feeds[name] = new ort.Tensor(
      'string',
      records.map((r) => r[name] as string),
      [rows, 1],
    );
  return feeds;
}

function tensorFeeds(inputs: readonly InferInput[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const { name, shape, data } of inputs) {
    const dims = [shape[0]!, 1];
    feeds[name] = CATEGORICAL.includes(name)
      ? new ort.Tensor('string', data as string[], dims)
      : new ort.Tensor('float64', Float64Array.from(data as number[]), dims);
  }
  return feeds;
}

async function score(feeds: Record<string, ort.Tensor>): Promise<number[]> {
  const results = await session.run(feeds, [OUTPUT]);
  return Array.from(results[OUTPUT]!.data as Float64Array);
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const server = createServer((request, response) => {
  let text = '';
  request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  request.on('end', () => {
    const body = JSON.parse(text) as { dataframe_records?: Record<string, Cell>[]; inputs?: InferInput[] };
    if (request.url === '/invocations') {
      void score(recordFeeds(body.dataframe_records!)).then((predictions) => answer(response, 200, { predictions }));
    } else if (request.url === '/v2/models/churn/infer') {
      const rows = body.inputs![0]!.shape[0]!;
      void score(tensorFeeds(body.inputs!)).then((data) =>
        answer(response, 200, {
          model_name: 'churn',
          model_version: '1',
          outputs: [{ name: OUTPUT, datatype: 'FP64', shape: [rows], data }],
        }),
      );
    } else {
      answer(response, 404, { error: 'not found' });
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
