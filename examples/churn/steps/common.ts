/**
 * Helpers shared by the churn steps: a seeded PRNG, and reading and writing the plain CSV the steps
 * exchange (no quoting: no value of this dataset holds a comma, a quote or a newline).
 */
import { readFile, writeFile } from 'node:fs/promises';

/** mulberry32: a tiny 32-bit seeded PRNG; the same seed always gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export interface Table {
  header: string[];
  /** Each row as its raw cells, in header order. */
  rows: string[][];
}

export async function readCsv(file: string): Promise<Table> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  const [head, ...body] = lines;
  if (head === undefined) throw new Error(`${file} is empty: expected a CSV header`);
  return { header: head.split(','), rows: body.map((line) => line.split(',')) };
}

export async function writeCsv(file: string, table: Table): Promise<void> {
  const lines = [table.header, ...table.rows].map((cells) => cells.join(','));
  await writeFile(file, `${lines.join('\n')}\n`);
}

/** A param as an integer, or the fallback when the pipeline did not pass it. */
export function intParam(params: Record<string, unknown>, name: string, fallback: number): number {
  const value = params[name] ?? fallback;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number))
    throw new Error(`param "${name}" must be an integer (got ${JSON.stringify(value)})`);
  return number;
}
