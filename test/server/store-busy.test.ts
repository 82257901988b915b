import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openContext } from '../../src/app/context.js';
import { exitCodeFor, EXIT } from '../../src/cli/exit-code.js';
import { InsufficientStorageError, StoreBusyError } from '../../src/common/errors.js';
import { RemoteTrackingClient } from '../../src/sdk/remote-client.js';
import { startServer } from '../../src/server/index.js';
import type { DatabaseLocation } from '../../src/store/index.js';
import { testConfig } from '../support/context.js';
import { createTestDatabase, DIALECTS } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';
import { waitFor } from '../support/wait.js';
import { api } from './http.js';

const LOCK_HOLDER = fileURLToPath(new URL('../support/write-lock-holder.ts', import.meta.url));
// Short, so the test does not wait the default 5 s for each refused write.
const LOCK_TIMEOUT_MS = 200;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A separate process holding the store's write lock until `release()`. */
async function holdWriteLock(location: DatabaseLocation): Promise<{ release(): void; released: Promise<void> }> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', LOCK_HOLDER, JSON.stringify(location)],
    { stdio: 'pipe' },
  );
  cleanups.push(() => child.exitCode === null && child.kill());
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await waitFor(`the lock holder to lock (stderr: ${err})`, () => out.includes('locked'));
  return {
    release: () => child.stdin.end('release\n'),
    released: exited.then((code) => {
      if (code !== 0 || !out.includes('released')) throw new Error(`the lock holder failed (${code}): ${err}`);
    }),
  };
}

describe.each(DIALECTS)('a metadata store another process keeps locked (%s)', (dialect) => {
  it(
    'answers a write with 503 STORE_BUSY and Retry-After, ' +
      'and the SDK’s call goes through once the lock is released',
    async () => {
      const database = await createTestDatabase(dialect);
      cleanups.push(() => database.drop());
      const temp = makeTempDir();
      cleanups.push(() => temp.remove());
      const context = await openContext(
        testConfig(database, temp.dir, { database: { ...database.location, lockTimeoutMs: LOCK_TIMEOUT_MS } }),
      );
      cleanups.push(() => context.close());
      const server = await startServer({ context, host: '127.0.0.1', port: 0, logLevel: 'silent' });
      cleanups.push(() => server.close());
      const http = api(server.url);
      const experimentId = (await http.post('/api/v1/experiments', { name: 'busy' })).body.experiment_id;
      const runId = (await http.post('/api/v1/runs', { experiment_id: experimentId })).body.info.run_id;

      const lock = await holdWriteLock(database.location);
      const refused = await http.post(`/api/v1/runs/${runId}/batch`, {
        metrics: [{ key: 'auc', value: 0.5, step: 0, timestamp: 1 }],
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({
        error_code: 'STORE_BUSY',
        message: expect.stringMatching(/locked by another writer: nothing was written/),
      });
      // Readers are not held up by a writer.
      expect((await http.get(`/api/v1/runs/${runId}`)).status).toBe(200);

      const retried: number[] = [];
      const client = new RemoteTrackingClient(server.url, undefined, {
        retry: {
          attempts: 20,
          baseDelayMs: 20,
          maxDelayMs: 50,
          onRetry: ({ attempt, error }) => {
            expect(error.code).toBe('STORE_BUSY');
            retried.push(attempt);
            if (attempt === 1) lock.release();
          },
        },
      });
      await client.logBatch(runId, { metrics: [{ key: 'auc', value: 0.9, step: 1, timestamp: 2 }] });
      await lock.released;
      expect(retried[0]).toBe(1);
      expect((await client.getMetricHistory(runId, 'auc')).items.map((m) => m.value)).toEqual([0.9]);
    },
  );
});

describe('exit codes for storage errors', () => {
  it('exits 6 when the store is busy and 7 when it is out of space', () => {
    expect(exitCodeFor(new StoreBusyError(1))).toBe(EXIT.storeBusy);
    expect(EXIT.storeBusy).toBe(6);
    expect(exitCodeFor(new InsufficientStorageError('metadata'))).toBe(EXIT.storageFull);
    expect(EXIT.storageFull).toBe(7);
  });
});
