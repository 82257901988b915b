import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataEngine, sqlString } from '../../src/data/duckdb.js';
import { computeModelQuality } from '../../src/monitoring/statistics/model-quality.js';
import type { MetricValue } from '../../src/monitoring/types.js';
import { elapsedMs, fmt, summarize } from '../stats.js';
import { bareModelQuality } from './bare-model-quality.js';

const ROWS = 1_000_000;
const REPEATS = 3;

/**
 * bench/monitoring (model quality): a classifier's quality over 1M captured predictions joined with their
 * feedback by request id (two Parquet files, joined in the query), overall and per value of 2 segment
 * columns, next to the same aggregates hand-written for DuckDB (bare-model-quality.ts) in the same run.
 * Scores are continuous doubles, so every row has its own rank.
 */
export async function benchMonitoringQuality(): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciclo-bench-quality-'));
  const engine = await DataEngine.open();
  try {
    const captured = path.join(dir, 'captured.parquet');
    const feedback = path.join(dir, 'feedback.parquet');
    await writeFixture(engine, captured, feedback);
    const relation =
      `(SELECT c.score, c.region, c.channel, f.label FROM read_parquet(${sqlString(captured)}) c ` +
      `JOIN read_parquet(${sqlString(feedback)}) f USING (request_id))`;
    const ciclo: number[] = [];
    const bare: number[] = [];
    // CPU seconds of the process (DuckDB's threads included) too: on a shared machine wall time also counts waiting.
    const cpu = { ciclo: 0, bare: 0 };
    let values: MetricValue[] = [];
    let reference: Awaited<ReturnType<typeof bareModelQuality>> = [];
    for (let i = 0; i < REPEATS; i++) {
      let start = process.hrtime.bigint();
      let used = process.cpuUsage();
      values = await computeModelQuality(engine, {
        relation,
        label: 'label',
        score: 'score',
        task: 'classification',
        segments: ['region', 'channel'],
      });
      ciclo.push(elapsedMs(start));
      cpu.ciclo += cpuSeconds(used) / REPEATS;
      start = process.hrtime.bigint();
      used = process.cpuUsage();
      reference = await bareModelQuality(engine, relation);
      bare.push(elapsedMs(start));
      cpu.bare += cpuSeconds(used) / REPEATS;
    }
    checkAgreement(values, reference);
    const c = summarize(ciclo).p50 / 1000;
    const r = summarize(bare).p50 / 1000;
    const segments = new Set(values.map((v) => v.segment).filter(Boolean)).size;
    return [
      `model quality of 1M feedback-joined rows (captured and feedback Parquet joined by request id), overall + ` +
        `${segments} segments of 2 columns, median of ${REPEATS}: Ciclo ${fmt(c)} s (target < 2 s; ${values.length} ` +
        `values: accuracy, precision, recall, F1, AUC, log loss, ECE, rows; ${fmt(cpu.ciclo)} CPU s); hand-written ` +
        `DuckDB ${fmt(r)} s (${fmt(cpu.bare)} CPU s); ratio ${fmt(c / r)}x`,
    ];
  } finally {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/**
 * `ROWS` predictions (request id, two segment columns, a probability) and their labels, drawn as a calibrated
 * model's would be (label 1 with the score's probability), the feedback file in another order than the capture.
 */
async function writeFixture(engine: DataEngine, captured: string, feedback: string): Promise<void> {
  await engine.run('SELECT setseed(0.42)');
  await engine.run(
    `CREATE TEMP TABLE quality_fixture AS
     SELECT 'req-' || i AS request_id,
       ['north', 'south', 'east', 'west', 'center'][1 + (i % 5)] AS region,
       ['web', 'app', 'api'][1 + (i % 3)] AS channel,
       random() AS score, random() AS draw
     FROM range(${ROWS}) t(i)`,
  );
  await engine.run(
    `COPY (SELECT request_id, region, channel, score FROM quality_fixture) TO ${sqlString(captured)} (FORMAT parquet)`,
  );
  await engine.run(
    `COPY (SELECT request_id, (draw < score)::INTEGER AS label FROM quality_fixture ORDER BY hash(request_id))
     TO ${sqlString(feedback)} (FORMAT parquet)`,
  );
  await engine.run('DROP TABLE quality_fixture');
}

/** The two must compute the same numbers, or the comparison of their times means nothing. */
function checkAgreement(values: readonly MetricValue[], reference: readonly Record<string, unknown>[]): void {
  for (const row of reference) {
    const segment = row.grp === 'overall' ? undefined : String(row.grp);
    for (const metric of ['accuracy', 'precision', 'recall', 'f1', 'auc', 'log_loss', 'calibration_error']) {
      const ours = values.find((v) => v.metric === `model.${metric}` && v.segment === segment)?.value;
      const theirs = Number(row[metric]);
      if (typeof ours !== 'number' || Math.abs(ours - theirs) > 1e-9)
        throw new Error(`model.${metric} ${segment ?? 'overall'}: Ciclo ${ours} vs hand-written ${theirs}`);
    }
  }
}
