import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderProfile, sparkline } from '../../src/cli/profile-render.js';
import { cellText, computeProfile, DataEngine, readFilesSql, type ColumnProfile } from '../../src/data/index.js';
import { makeTempDir } from '../support/temp.js';
import { writeFile } from './support.js';

/** Independent of DuckDB: what the profile's numbers must be. */
function stats(values: readonly number[]) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

/** Linear interpolation between closest ranks (quantile_cont, numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

describe('dataset profiles', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let engine: DataEngine;
  beforeEach(async () => {
    temp = makeTempDir('ciclo-profile-');
    engine = await DataEngine.open();
  });
  afterEach(() => {
    engine.close();
    temp.remove();
  });

  async function profileOf(content: string, sensitive: string[] = []) {
    const file = writeFile(join(temp.dir, 'd.csv'), content);
    const source = readFilesSql([file], 'csv');
    const columns = (await engine.all(`DESCRIBE SELECT * FROM ${source}`)).map((row) => ({
      name: cellText(row.column_name),
      type: cellText(row.column_type),
      sensitive: sensitive.includes(cellText(row.column_name)),
    }));
    return computeProfile(engine, source, columns);
  }
  const column = (columns: ColumnProfile[], name: string) => columns.find((c) => c.name === name)!;

  it('numbers: nulls, min/max/mean/std, quantiles and a histogram whose counts sum to the non-null count', async () => {
    // A deterministic, irregular column with every 7th value missing.
    const values: Array<number | null> = Array.from({ length: 500 }, (_, i) =>
      i % 7 === 3 ? null : Math.round(Math.sin(i * 1.3) * 1000 + i) / 10,
    );
    const present = values.filter((v): v is number => v !== null);
    const profile = await profileOf(`id,x\n${values.map((v, i) => `${i + 1},${v ?? ''}`).join('\n')}\n`);
    expect(profile.rowCount).toBe(500);
    const x = column(profile.columns, 'x');
    const expected = stats(present);
    expect(x).toMatchObject({
      type: 'DOUBLE',
      kind: 'numeric',
      nulls: values.length - present.length,
      min: expected.min,
      max: expected.max,
    });
    expect(x.mean).toBeCloseTo(expected.mean, 9);
    expect(x.std).toBeCloseTo(expected.std, 9);
    // HyperLogLog: within a few percent.
    expect(Math.abs(x.distinct! - new Set(present).size) / new Set(present).size).toBeLessThan(0.05);
    const sorted = [...present].sort((a, b) => a - b);
    for (const [label, q] of [
      ['p1', 0.01],
      ['p25', 0.25],
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      expect(x.quantiles![label]).toBeCloseTo(quantile(sorted, q), 9);
    }
    expect(x.histogram!.counts).toHaveLength(20);
    expect(x.histogram!.edges).toHaveLength(21);
    expect(x.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(present.length);
    const width = (expected.max - expected.min) / 20;
    const bins = new Array<number>(20).fill(0);
    for (const v of present) bins[Math.min(19, Math.floor((v - expected.min) / width))]! += 1;
    expect(x.histogram!.counts).toEqual(bins);
  });

  it('quantiles of 1..100 and an even histogram', async () => {
    const profile = await profileOf(`n\n${Array.from({ length: 100 }, (_, i) => i + 1).join('\n')}\n`);
    const n = column(profile.columns, 'n');
    expect(n.quantiles).toEqual({ p1: 1.99, p5: 5.95, p25: 25.75, p50: 50.5, p75: 75.25, p95: 95.05, p99: 99.01 });
    expect(n.histogram!.counts).toEqual(new Array(20).fill(5));
    expect(n.histogram!.edges[0]).toBe(1);
    expect(n.histogram!.edges[20]).toBe(100);
    expect(n).toMatchObject({ min: 1, max: 100, mean: 50.5, nulls: 0 });
  });

  it('a constant column is one bin', async () => {
    const profile = await profileOf('c\n7\n7\n7\n');
    expect(column(profile.columns, 'c').histogram).toEqual({ edges: [7, 7], counts: [3] });
  });

  it('strings: top 10 values with counts, most frequent first; dates and timestamps: min/max', async () => {
    const cities = ['rome', 'oslo', 'lima', 'kyiv', 'pune', 'baku', 'oran', 'riga', 'bern', 'doha', 'nuuk', 'suva'];
    const rows: string[] = [];
    cities.forEach((city, i) => {
      for (let k = 0; k <= i; k++)
        rows.push(`${city},2024-03-${String(i + 1).padStart(2, '0')},2024-03-01 10:00:0${k % 10}`);
    });
    rows.push(',2024-01-15,');
    const profile = await profileOf(`city,day,at\n${rows.join('\n')}\n`);
    const city = column(profile.columns, 'city');
    expect(city.nulls).toBe(1);
    expect(city.topValues).toHaveLength(10);
    expect(city.topValues![0]).toEqual({ value: 'suva', count: 12 });
    expect(city.topValues![9]).toEqual({ value: 'lima', count: 3 });
    expect(column(profile.columns, 'day')).toMatchObject({
      type: 'DATE',
      kind: 'temporal',
      min: '2024-01-15',
      max: '2024-03-12',
    });
    expect(column(profile.columns, 'at')).toMatchObject({
      kind: 'temporal',
      nulls: 1,
      min: '2024-03-01 10:00:00',
      max: '2024-03-01 10:00:09',
    });
  });

  it('renders a table with unicode histograms', async () => {
    const profile = await profileOf(
      `n,s\n${Array.from({ length: 100 }, (_, i) => `${i + 1},${i % 2 ? 'odd' : 'even'}`).join('\n')}\n`,
    );
    const text = renderProfile('d@1', profile);
    expect(text).toContain('d@1: 100 rows, 2 columns');
    expect(text).toContain('█'.repeat(20));
    expect(text).toContain('top values of s:');
    expect(sparkline([0, 1, 2, 4, 8])).toBe(' ▂▃▅█');
  });
});
