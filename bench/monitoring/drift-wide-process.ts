import { DataEngine, readFilesSql } from '../../src/data/duckdb.js';
import { computeDrift } from '../../src/monitoring/statistics/drift.js';
import { elapsedMs } from '../stats.js';

/**
 * The 1,000-column drift case alone in a process (argv: reference file, current file, columns):
 * prints {seconds, cpuSeconds, maxRssMb, values} as JSON; CPU seconds (DuckDB's threads included) move
 * less than wall time on a shared machine. maxRSS covers DuckDB's buffers, which live in this
 * process's heap outside V8.
 */
const [referenceFile, currentFile, width] = process.argv.slice(2) as [string, string, string];
const engine = await DataEngine.open();
const features = Array.from({ length: Number(width) }, (_, k) => ({ name: `w${k}`, kind: 'numeric' as const }));
const start = process.hrtime.bigint();
const cpu = process.cpuUsage();
const values = await computeDrift(engine, {
  reference: readFilesSql([referenceFile], 'parquet'),
  current: readFilesSql([currentFile], 'parquet'),
  features,
});
const seconds = elapsedMs(start) / 1000;
const { user, system } = process.cpuUsage(cpu);
engine.close();
const maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    seconds,
    cpuSeconds: (user + system) / 1e6,
    maxRssMb,
    values: values.filter((v) => v.value !== null).length,
  }),
);
