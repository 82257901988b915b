/**
 * `split`: a seeded, stratified train/test split. Each class (churned 0 and 1) is shuffled with the
 * seed and its first `test_fraction` goes to test, so both sets keep the churn rate; rows keep
 * their original order inside each output.
 */
import type { StepRunContext } from 'ciclo';
import { columnIndex, intParam, mulberry32, numberParam, readCsv, shuffled, writeCsv } from './common.js';
import { LABEL } from './features.js';

export async function split(ctx: StepRunContext): Promise<void> {
  const testFraction = numberParam(ctx.params, 'test_fraction', 0.2);
  const seed = intParam(ctx.params, 'seed', 42);
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`param "test_fraction" must be in (0, 1) (got ${testFraction})`);
  const table = await readCsv(ctx.inputs.data!);
  const label = columnIndex(table.header, [LABEL])[LABEL]!;

  // A seed of its own so the split does not move when generate changes how many numbers it draws.
  const random = mulberry32(seed ^ 0x5eed5);
  const byClass = new Map<string, number[]>();
  table.rows.forEach((row, index) => {
    const key = row[label]!;
    const indices = byClass.get(key) ?? [];
    indices.push(index);
    byClass.set(key, indices);
  });
  const testRows = new Set<number>();
  for (const key of [...byClass.keys()].sort()) {
    const indices = byClass.get(key)!;
    for (const index of shuffled(indices, random).slice(0, Math.round(indices.length * testFraction))) testRows.add(index);
  }
  const train = table.rows.filter((_, index) => !testRows.has(index));
  const test = table.rows.filter((_, index) => testRows.has(index));
  await writeCsv(ctx.outputs.train!, { header: table.header, rows: train });
  await writeCsv(ctx.outputs.test!, { header: table.header, rows: test });

  const positiveRate = (rows: string[][]) => rows.filter((row) => row[label] === '1').length / rows.length;
  const run = await ctx.run();
  run.log({
    train_rows: train.length,
    test_rows: test.length,
    train_positive_rate: positiveRate(train),
    test_positive_rate: positiveRate(test),
  });
}
