import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openContext, type CicloContext } from '../../src/app/context.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import type { DialectName } from '../../src/store/index.js';
import { testConfig } from '../support/context.js';
import {
  CHECKPOINT_GATE,
  createTestDatabase,
  DIALECTS,
  POSTGRES_ADMIN_URL,
  type TestDatabase,
} from '../support/databases.js';
import { mountSmallDisk, postgresTablespaceDir } from '../support/small-disk.js';
import { makeTempDir } from '../support/temp.js';
import { api } from './http.js';

const MiB = 1024 * 1024;

interface Stack {
  url: string;
  context: CicloContext;
  /** What the server logged, one JSON object per line. */
  log(): string;
}

/** Undo steps, run last-in first-out after each test: servers, contexts, databases, mounts. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startStack(database: TestDatabase, artifactRoot?: string): Promise<Stack> {
  const temp = makeTempDir();
  cleanups.push(() => temp.remove());
  const context = await openContext(testConfig(database, temp.dir, artifactRoot === undefined ? {} : { artifactRoot }));
  cleanups.push(() => context.close());
  let logged = '';
  const logStream = new PassThrough().setEncoding('utf8').on('data', (line: string) => (logged += line));
  const server: RunningServer = await startServer({
    context,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'error',
    logStream,
  });
  cleanups.push(() => server.close());
  return { url: server.url, context, log: () => logged };
}

/** A database whose files live on a small disk: a SQLite file on it, or a PostgreSQL tablespace on it. */
async function databaseOnSmallDisk(dialect: DialectName, sizeBytes: number): Promise<TestDatabase> {
  const disk = mountSmallDisk(sizeBytes);
  cleanups.push(() => disk.remove());
  if (dialect === 'sqlite') {
    const file = join(disk.dir, 'ciclo.db');
    return { location: { dialect: 'sqlite', file }, url: `sqlite:${file}`, drop: async () => undefined };
  }
  const name = `ciclo_full_${randomBytes(6).toString('hex')}`;
  // Held from before the tablespace can fill until it is gone: while it is full no checkpoint
  // succeeds, so other tests' DROP DATABASE waits for this instead of failing (CHECKPOINT_GATE).
  const gate = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await gate.connect();
  cleanups.push(() => gate.end());
  await gate.query('SELECT pg_advisory_lock($1)', [CHECKPOINT_GATE]);
  const admin = (statement: string) => gate.query(statement);
  await admin(`CREATE TABLESPACE ${name} LOCATION '${postgresTablespaceDir(disk)}'`);
  cleanups.push(() => admin(`DROP TABLESPACE IF EXISTS ${name}`));
  await admin(`CREATE DATABASE ${name} TABLESPACE ${name}`);
  cleanups.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { location: { dialect: 'postgres', url: url.toString() }, url: url.toString(), drop: async () => undefined };
}

describe.each(DIALECTS)('a full metadata store (%s)', (dialect) => {
  it(
    'answers log-batch with 507 INSUFFICIENT_STORAGE naming the metadata store, logs the engine’s error, ' +
      'and keeps what it acknowledged',
    async () => {
      // PostgreSQL copies its template database (about 8 MB) into the tablespace first.
      const stack = await startStack(await databaseOnSmallDisk(dialect, dialect === 'sqlite' ? 2 * MiB : 12 * MiB));
      const http = api(stack.url);
      const experimentId = (await http.post('/api/v1/experiments', { name: 'full' })).body.experiment_id;
      const runId = (await http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;

      let acknowledged = 0;
      let refused: Awaited<ReturnType<typeof http.post>> | undefined;
      for (let batch = 0; batch < 400 && refused === undefined; batch++) {
        const metrics = Array.from({ length: 1000 }, (_, i) => ({
          key: `m${batch}_${i % 50}`,
          value: i,
          step: i,
          timestamp: 1,
        }));
        const answer = await http.post(`/api/v1/runs/${runId}/batch`, { metrics });
        if (answer.status === 204) acknowledged += metrics.length;
        else refused = answer;
      }
      expect(refused?.status).toBe(507);
      expect(refused?.body).toMatchObject({
        error_code: 'INSUFFICIENT_STORAGE',
        message: expect.stringMatching(/metadata store \(database\) is out of space/),
      });
      expect(JSON.stringify(refused?.body)).not.toMatch(/SQLITE|insert into|could not extend/i);

      const log = stack.log();
      expect(log).toMatch(dialect === 'sqlite' ? /SQLITE_FULL/ : /"code":"53100"/);
      expect(log).not.toMatch(/cannot rollback/);

      // Nothing half-written: exactly the acknowledged batches are stored, and the store still reads.
      const { count } = await stack.context.database.db
        .selectFrom('metrics')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('run_uuid', '=', runId)
        .executeTakeFirstOrThrow();
      expect(Number(count)).toBe(acknowledged);
      expect((await http.get(`/api/v1/runs/${runId}`)).status).toBe(200);
    },
  );
});

describe.each(DIALECTS)('a full artifact store (%s)', (dialect) => {
  it(
    'answers an upload that does not fit with 507 on the same keep-alive connection, ' +
      'which then serves the next request',
    async () => {
      const disk = mountSmallDisk(1 * MiB);
      cleanups.push(() => disk.remove());
      const database = await createTestDatabase(dialect);
      cleanups.push(() => database.drop());
      const stack = await startStack(database, disk.dir);
      const http = api(stack.url);
      const experimentId = (await http.post('/api/v1/experiments', { name: 'full' })).body.experiment_id;
      const runId = (await http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;

      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      cleanups.push(() => agent.destroy());
      const tooBig = await put(agent, `${stack.url}/api/v1/runs/${runId}/artifacts/model.bin`, randomBytes(3 * MiB));
      expect(tooBig.status).toBe(507);
      expect(JSON.parse(tooBig.body)).toMatchObject({
        error_code: 'INSUFFICIENT_STORAGE',
        message: expect.stringMatching(/artifact store is out of space/),
      });
      expect(stack.log()).toMatch(/ENOSPC/);

      // The half-written temp file is gone, so a small upload fits, over the very same connection.
      const small = await put(agent, `${stack.url}/api/v1/runs/${runId}/artifacts/notes.txt`, Buffer.from('fits'));
      expect(small.status).toBe(200);
      expect(small.reusedSocket).toBe(true);
      const listing = await http.get(`/api/v1/runs/${runId}/artifacts`);
      expect(listing.body.items.map((f: { path: string }) => f.path)).toEqual(['notes.txt']);
    },
  );
});

function put(
  agent: Agent,
  url: string,
  body: Buffer,
): Promise<{ status: number; body: string; reusedSocket: boolean }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'PUT', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: text, reusedSocket: request.reusedSocket }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    // A connection left half-read would hang the next request on it: fail with a reason instead.
    request.setTimeout(10_000, () => request.destroy(new Error('no answer in 10 s: the connection is stuck')));
    request.end(body);
  });
}
