import { join } from 'node:path';
import { openContext } from '../../src/app/context.js';
import { createTestDatabase } from '../../test/support/databases.js';
import { makeTempDir } from '../../test/support/temp.js';
import { fmt } from '../stats.js';
import { timeRoundTrips } from '../tracking/log-metric.js';
import { startServerProcess } from '../tracking/server-process.js';

const DIALECTS = ['sqlite', 'postgres'] as const;

/**
 * bench/access: what authentication and authorization add to a request. The same `log-metric`
 * round trip (one at a time) against the same store, served with auth off and with auth on (bearer
 * token → hash lookup, user, roles, the run's project), each server in a process of its own.
 */
export async function benchAccess(): Promise<string[]> {
  const lines: string[] = [];
  for (const dialect of DIALECTS) {
    const database = await createTestDatabase(dialect);
    const home = makeTempDir('ciclo-bench-access-');
    try {
      const context = await openContext({
        home: home.dir,
        database: database.location,
        artifactRoot: join(home.dir, 'artifacts'),
        logLevel: 'silent',
        maxBodyBytes: 16 * 1024 * 1024,
      });
      const experiment = await context.tracking.createExperiment({ name: 'bench-access' });
      const runId = (await context.tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
      await context.access.createUser('bench');
      await context.access.grant('default', 'bench', 'editor');
      const { token } = await context.access.createToken('bench', { scopes: ['read', 'write'] });
      await context.close();

      const env = { CICLO_DATABASE_URL: database.url, CICLO_HOME: home.dir, CICLO_LOG_LEVEL: 'silent' };
      const body = (i: number) => ({
        run_id: runId,
        key: 'loss',
        value: 1 / (i + 201),
        timestamp: Date.now(),
        step: i + 200,
      });
      const measure = async (extraEnv: Record<string, string>, headers: Record<string, string>) => {
        const server = await startServerProcess({ ...env, ...extraEnv });
        try {
          return await timeRoundTrips(`${server.url}/api/2.0/mlflow/runs/log-metric`, body, headers);
        } finally {
          await server.stop();
        }
      };
      const off = await measure({}, {});
      const on = await measure({ CICLO_AUTH: 'on' }, { authorization: `Bearer ${token}` });
      lines.push(
        `[${dialect}] log-metric round trip, auth on: p50 ${fmt(on.p50, 3)} ms, p99 ${fmt(on.p99, 3)} ms; ` +
          `auth off: p50 ${fmt(off.p50, 3)} ms, p99 ${fmt(off.p99, 3)} ms; ratio p50 ${fmt(on.p50 / off.p50, 2)}x`,
      );
    } finally {
      await database.drop();
      home.remove();
    }
  }
  return lines;
}
