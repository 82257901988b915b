/**
 * `clean`: drops rows with a missing or invalid value (the built-in `dedupe` step before it has
 * already removed duplicate customers) and logs how many went.
 */
import type { StepRunContext } from 'ciclo';
import { readCsv, writeCsv } from './common.js';
import { fromRows, rowProblem, toRows } from './features.js';

export async function clean(ctx: StepRunContext): Promise<void> {
  const table = await readCsv(ctx.inputs.raw!);
  const rows = toRows(table.header, table.rows);
  const valid = rows.filter((row) => rowProblem(row) === undefined);
  await writeCsv(ctx.outputs.data!, fromRows(valid));

  const run = await ctx.run();
  run.log({
    rows_in: table.rows.length,
    invalid_removed: rows.length - valid.length,
    rows_out: valid.length,
  });
}
