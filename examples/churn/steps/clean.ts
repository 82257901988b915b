/**
 * `clean`: drops exact duplicate rows (keeping the first) and rows with a missing or invalid value,
 * and logs how many of each went.
 */
import type { StepRunContext } from 'ciclo';
import { readCsv, writeCsv } from './common.js';
import { fromRows, rowProblem, toRows } from './features.js';

export async function clean(ctx: StepRunContext): Promise<void> {
  const table = await readCsv(ctx.inputs.raw!);
  const seen = new Set<string>();
  const unique = table.rows.filter((cells) => {
    const line = cells.join(',');
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
  const rows = toRows(table.header, unique);
  const valid = rows.filter((row) => rowProblem(row) === undefined);
  await writeCsv(ctx.outputs.data!, fromRows(valid));

  const run = await ctx.run();
  run.log({
    rows_in: table.rows.length,
    duplicates_removed: table.rows.length - unique.length,
    invalid_removed: rows.length - valid.length,
    rows_out: valid.length,
  });
}
