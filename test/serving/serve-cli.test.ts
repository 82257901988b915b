import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { startScoringServer } from '../../src/server/index.js';
import { runCli } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp.js';
import { waitFor } from '../triggers/support.js';
import { COLUMN_SIGNATURE, expectedScore, perColumnGraph, registerPackage, writeServingPackage } from './support.js';

const MAIN = fileURLToPath(new URL('../../dist/bin/ciclo.js', import.meta.url));

describe('ciclo serve', () => {
  const home = makeTempDir();
  const env = { CICLO_HOME: join(home.dir, 'home') };

  beforeAll(async () => {
    const context = await openContext(loadConfig(env));
    try {
      const folder = join(home.dir, 'package');
      await writeServingPackage(
        folder,
        { 'model.onnx': perColumnGraph() },
        { flavor: 'onnx', entry: 'model.onnx', signature: COLUMN_SIGNATURE },
      );
      await registerPackage(context, 'scorer', folder);
      await context.registry.setAlias('scorer', 'champion', 1);
      await context.access.createUser('ana');
      await context.access.createUser('outsider');
      await context.access.grant('default', 'ana', 'viewer');
    } finally {
      await context.close();
    }
  });
  afterAll(() => home.remove());

  it('serves NAME@alias on a loopback port until SIGTERM', async () => {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
    const child = spawn(process.execPath, [MAIN, 'serve', 'scorer@champion', '--port', '0'], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(`the startup line (stderr: ${stderr})`, () => stdout.includes('\n'));
      const url = /^Serving scorer\/1 \(onnx\) on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)![1]!;
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_records: [{ a: 4, b: 1 }] }),
      });
      expect(await response.json()).toEqual({ predictions: [expectedScore(4, 1)] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('Stopped (SIGTERM)');
  });

  it('exits 3 for an unknown model or alias and 2 beyond loopback without authentication', async () => {
    const unknown = await runCli(['serve', 'scorer@nope', '--port', '0'], env);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('nope');
    const open = await runCli(['serve', 'scorer@champion', '--host', '0.0.0.0', '--port', '0'], env);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
  });

  it('with authentication, scoring needs a token that may read the model; probes need none', async () => {
    const context = await openContext(loadConfig(env));
    const model = await context.serving.load('scorer@champion');
    const server = await startScoringServer({ context, model, host: '127.0.0.1', port: 0, auth: true });
    try {
      const reader = (await context.access.createToken('ana')).token;
      const outsider = (await context.access.createToken('outsider')).token;
      const score = (token?: string) =>
        fetch(`${server.url}/v2/models/scorer/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({
            inputs: [
              { name: 'a', shape: [1], datatype: 'FP64', data: [1] },
              { name: 'b', shape: [1], datatype: 'FP64', data: [1] },
            ],
          }),
        });
      expect((await score()).status).toBe(401);
      expect((await score(outsider)).status).toBe(403);
      expect((await score(reader)).status).toBe(200);
      const metadata = await fetch(`${server.url}/v2/models/scorer`, {
        headers: { authorization: `Bearer ${outsider}` },
      });
      expect(metadata.status).toBe(403);
      for (const probe of ['/ping', '/health', '/version', '/v2/health/live', '/v2/health/ready', '/v2']) {
        expect((await fetch(`${server.url}${probe}`)).status, probe).toBe(200);
      }
    } finally {
      await server.close();
      await model.close();
      await context.close();
    }
  });
});
