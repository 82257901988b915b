import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startUrlPrinter, type ServerProcess } from '../tracking/server-process.js';
import { PYTHON, PYTHON_SERVER } from './fixture.js';

const CLI = fileURLToPath(new URL('../../dist/bin/ciclo.js', import.meta.url));
const RAW_SERVER = fileURLToPath(new URL('./raw-onnx-server.ts', import.meta.url));
const SCORING_PROCESS = fileURLToPath(new URL('./scoring-process.ts', import.meta.url));

/** The real `ciclo serve` (the built CLI), as users start it, with `--capture <share>`. */
export function startCicloServe(reference: string, home: string, capture: number): Promise<ServerProcess> {
  const args = [CLI, 'serve', reference, '--port', '0', '--json', '--capture', String(capture)];
  return startUrlPrinter(args, storeEnv(home));
}

/** `startScoringServer` over a model loaded with batching on or off (scoring-process.ts). */
export function startScoringProcess(reference: string, home: string, batching: 'on' | 'off'): Promise<ServerProcess> {
  return startUrlPrinter(['--import', 'tsx', SCORING_PROCESS, reference, batching], storeEnv(home));
}

/** node:http + onnxruntime-node over the .onnx file (raw-onnx-server.ts). */
export function startRawOnnxServer(onnxFile: string): Promise<ServerProcess> {
  return startUrlPrinter(['--import', 'tsx', RAW_SERVER, onnxFile]);
}

function storeEnv(home: string): Record<string, string> {
  return { CICLO_HOME: home, CICLO_LOG_LEVEL: 'silent' };
}

/** FastAPI + uvicorn + scikit-learn (fastapi_server.py), trained on `trainCsv` as it starts. */
export async function startFastApiServer(trainCsv: string): Promise<ServerProcess> {
  const child = spawn(PYTHON, ['-B', PYTHON_SERVER, 'serve', trainCsv], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const stop = async () => {
    process.off('exit', killChild);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  // A data listener, not `for await`: leaving that loop would destroy the pipe, and later output would fail.
  child.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    let printed = '';
    child.stdout.on('data', (chunk: string) => {
      printed += chunk;
      const end = printed.indexOf('\n');
      if (end >= 0) resolve((JSON.parse(printed.slice(0, end)) as { url: string }).url);
    });
    child.once('exit', () => reject(new Error(`${PYTHON_SERVER} exited before printing its URL: ${printed}`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, stop };
}

/** Sums of one Prometheus series over its label sets, from a server's `GET /metrics`. */
export async function metricSum(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series}{`) || line.startsWith(`${series} `)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}
