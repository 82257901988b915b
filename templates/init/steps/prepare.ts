/**
 * `prepare`: a synthetic table fully determined by the params `rows` and `seed`: two features and a
 * label that depends on them, so a model can learn it. Replace it with reading your own data.
 */
import { writeFile } from 'node:fs/promises';
import type { StepRunContext } from 'ciclo';

export async function prepare(ctx: StepRunContext): Promise<void> {
  const rows = Number(ctx.params.rows ?? 2000);
  const random = seeded(Number(ctx.params.seed ?? 7));
  const lines = ['id,x1,x2,label'];
  let positives = 0;
  for (let id = 1; id <= rows; id++) {
    const x1 = random() * 4 - 2;
    const x2 = random() * 4 - 2;
    const label = random() < 1 / (1 + Math.exp(-(1.5 * x1 - x2))) ? 1 : 0;
    positives += label;
    lines.push(`${id},${x1.toFixed(4)},${x2.toFixed(4)},${label}`);
  }
  await writeFile(ctx.outputs.data!, `${lines.join('\n')}\n`);
  (await ctx.run()).log({ rows, positive_rate: positives / rows });
}

/** mulberry32: the same seed always gives the same table. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
