import { reportMetrics } from '../../evaluation/index.js';
import { DataEngine, readFilesSql, sqlIdentifier } from '../duckdb.js';
import { evaluateTable } from '../evaluate-table.js';
import { inputFiles } from './input-files.js';
import {
  DedupeConfigSchema,
  EvaluateConfigSchema,
  SplitConfigSchema,
  SqlConfigSchema,
  ValidateConfigSchema,
} from './kinds.js';
import type { DataStepTask } from './runtime.js';
import { pickOne, runDedupe, runSplit, runSql, type Written } from './transforms.js';
import { runValidate, writeReport } from './validate.js';

/** Logs metrics to the step's tracked run: the step's process does so through the SDK. */
export type LogStepMetrics = (metrics: Record<string, number>) => Promise<void>;

/**
 * A data step (`sql`, `dedupe`, `split`, `validate`, `evaluate`) in the process it runs in (src/runners/data-step.ts):
 * opens DuckDB, makes each input a view by its name, runs the transform, prints what it wrote (the step's log) and
 * logs the row counts; a `validate` step logs its expectation counts before it fails.
 */
export async function runDataStep(task: DataStepTask, logMetrics: LogStepMetrics): Promise<void> {
  const engine = await DataEngine.open();
  const rowsIn: Record<string, number> = {};
  let written: Written;
  try {
    for (const [name, input] of Object.entries(task.inputs)) {
      const { files, format } = await inputFiles(input);
      await engine.run(`CREATE VIEW ${sqlIdentifier(name)} AS SELECT * FROM ${readFilesSql(files, format)}`);
      rowsIn[name] = Number((await engine.all(`SELECT count(*) AS n FROM ${sqlIdentifier(name)}`))[0]?.n ?? 0);
      process.stdout.write(
        `input ${name}: ${rowsIn[name]} rows (${format}, ${files.length} file${files.length === 1 ? '' : 's'})\n`,
      );
    }
    const context = { engine, inputs: Object.keys(task.inputs), outputs: task.outputs };
    if (task.kind === 'validate') {
      const config = ValidateConfigSchema.parse(task.config);
      const report = await runValidate(
        engine,
        { input: pickOne('input', config.input, context.inputs), ...task },
        config,
      );
      await logMetrics({
        'expectations.passed': report.results.filter((result) => result.passed).length,
        'expectations.errors': report.errors,
        'expectations.warnings': report.warnings,
      });
      if (!report.passed)
        throw new Error(`${report.errors} expectation(s) of severity error failed (see the report above)`);
      return;
    }
    if (task.kind === 'evaluate') {
      const config = EvaluateConfigSchema.parse(task.config);
      const report = await evaluateTable(engine, sqlIdentifier(pickOne('input', config.input, context.inputs)), config);
      const metrics = reportMetrics(report);
      process.stdout.write(
        `${Object.entries(metrics)
          .map(([key, value]) => `${key}: ${value}`)
          .join('\n')}\n`,
      );
      if (config.report !== undefined) await writeReport(task.outputs, config.report, JSON.stringify(report, null, 2));
      await logMetrics(metrics);
      return;
    }
    written =
      task.kind === 'sql'
        ? await runSql(context, SqlConfigSchema.parse(task.config))
        : task.kind === 'dedupe'
          ? await runDedupe(context, DedupeConfigSchema.parse(task.config))
          : await runSplit(context, SplitConfigSchema.parse(task.config));
  } finally {
    engine.close();
  }
  for (const [name, rows] of Object.entries(written)) process.stdout.write(`output ${name}: ${rows} rows\n`);
  await logMetrics({
    ...Object.fromEntries(Object.entries(rowsIn).map(([name, rows]) => [`rows_in.${name}`, rows])),
    ...Object.fromEntries(Object.entries(written).map(([name, rows]) => [`rows_out.${name}`, rows])),
  });
}
