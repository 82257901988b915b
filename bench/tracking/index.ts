import { createTestDatabase } from '../../test/support/databases.js';
import { makeTempDir } from '../../test/support/temp.js';
import { fmt } from '../stats.js';
import { CLIENTS, measureLogBatchRoute, measureRawInserts } from './log-batch.js';
import { measureBareHttp, measureLogMetric } from './log-metric.js';
import { measureBareSearchSql, measureSearch, METRICS_PER_RUN, populateRuns, RUNS } from './search.js';
import { startServerProcess } from './server-process.js';

const DIALECTS = ['sqlite', 'postgres'] as const;

/** bench/tracking: log-batch throughput, log-metric latency and run search, on both dialects. */
export async function benchTracking(): Promise<string[]> {
  const lines: string[] = [];
  const bare = await measureBareHttp();
  lines.push(`bare node:http JSON round trip: p50 ${fmt(bare.p50, 3)} ms, p99 ${fmt(bare.p99, 3)} ms`);
  for (const dialect of DIALECTS) {
    const database = await createTestDatabase(dialect);
    const home = makeTempDir('ciclo-bench-');
    const server = await startServerProcess({
      CICLO_DATABASE_URL: database.url,
      CICLO_HOME: home.dir,
      CICLO_LOG_LEVEL: 'silent',
    });
    try {
      const routeRate = await measureLogBatchRoute(server.url);
      const rawRate = await measureRawInserts(dialect);
      lines.push(
        `[${dialect}] (a) log-batch, 1000 metrics/request, ${CLIENTS} clients: ` +
          `${fmt(routeRate, 0)} points/s; raw driver inserts ${fmt(rawRate, 0)} points/s; ` +
          `ratio ${fmt((100 * routeRate) / rawRate, 1)}% (target >= 40%)`,
      );
      const latency = await measureLogMetric(server.url);
      lines.push(
        `[${dialect}] (b) log-metric round trip: p50 ${fmt(latency.p50, 3)} ms, p99 ${fmt(latency.p99, 3)} ms ` +
          `(bare node:http p50 ratio ${fmt(latency.p50 / bare.p50, 2)}x)`,
      );
      const experimentId = await populateRuns(database.location);
      const search = await measureSearch(server.url, experimentId);
      const bareSql = await measureBareSearchSql(database.location, experimentId);
      lines.push(
        `[${dialect}] (c) runs/search over ${RUNS} runs x ${METRICS_PER_RUN} metrics ` +
          `(filter + order, ${search.returned} returned): p50 ${fmt(search.p50)} ms, p99 ${fmt(search.p99)} ms ` +
          `(target p50 < 50 ms); bare SQL p50 ${fmt(bareSql.p50)} ms`,
      );
    } finally {
      await server.stop();
      await database.drop();
      home.remove();
    }
  }
  return lines;
}
