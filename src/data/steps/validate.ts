import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidInputError } from '../../common/errors.js';
import { PRIVATE_FILE_MODE } from '../../common/private-files.js';
import { parseInput } from '../../common/validation.js';
import { cellText, sqlIdentifier, type DataEngine } from '../duckdb.js';
import {
  loadSuiteFile,
  renderReportJson,
  renderReportText,
  runSuite,
  type SuiteReport,
} from '../expectations/index.js';
import type { ColumnSchema } from '../types.js';
import type { ValidateConfig } from './kinds.js';

const SchemaFileSchema = z.array(
  z.object({
    name: z.string().min(1),
    type: z.string().min(1),
    nullable: z.boolean().default(true),
    sensitive: z.boolean().default(false),
  }),
);

/**
 * The `validate` step: the suite against one input view. The text report goes to the step's log,
 * the JSON report to the `report` output when declared.
 */
export async function runValidate(
  engine: DataEngine,
  context: { input: string; outputs: Record<string, string>; workDir: string },
  config: ValidateConfig,
): Promise<SuiteReport> {
  const suite = await loadSuiteFile(path.resolve(context.workDir, config.suite));
  const schema: ColumnSchema[] = (await engine.all(`DESCRIBE ${sqlIdentifier(context.input)}`)).map((row) => ({
    name: cellText(row.column_name),
    type: cellText(row.column_type),
    nullable: row.null !== 'NO',
    sensitive: config.sensitive.includes(cellText(row.column_name)),
  }));
  const previousSchema =
    config.previous_schema === undefined
      ? undefined
      : await readSchemaFile(path.resolve(context.workDir, config.previous_schema));
  const report = await runSuite(
    engine,
    {
      relationSql: sqlIdentifier(context.input),
      schema,
      sensitive: config.sensitive,
      ...(previousSchema === undefined ? {} : { previousSchema }),
    },
    suite,
  );
  process.stdout.write(`${renderReportText(report)}\n`);
  if (config.report !== undefined) await writeReport(context.outputs, config.report, renderReportJson(report));
  return report;
}

/** Writes a step's JSON report to the declared output named in its config. */
export async function writeReport(outputs: Record<string, string>, name: string, json: string): Promise<void> {
  const output = outputs[name];
  if (output === undefined) {
    throw new InvalidInputError(`the report output "${name}" is not an output of the step`, {
      where: 'report',
      hint: 'declare it under outputs, e.g. report: { type: file }',
    });
  }
  await writeFile(output, json, { mode: PRIVATE_FILE_MODE });
}

async function readSchemaFile(file: string): Promise<ColumnSchema[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new InvalidInputError(`schema file ${file} cannot be read`, { where: 'previous_schema' });
  });
  return parseInput(SchemaFileSchema, parseYaml(text) as unknown, file);
}
