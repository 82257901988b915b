import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataEngine, readFilesSql } from '../../src/data/duckdb.js';
import type { FeatureSpec } from '../../src/monitoring/types.js';
import { computeDrift } from '../../src/monitoring/statistics/drift.js';
import { elapsedMs, fmt, summarize } from '../stats.js';
import { bareDrift } from './bare-drift.js';
import { writeMixedTable, writeWideTable } from './drift-data.js';

const ROWS = 1_000_000;
const REPEATS = 3;
const WIDE_COLUMNS = 1000;
const WIDE_PROCESS = fileURLToPath(new URL('./drift-wide-process.ts', import.meta.url));

/**
 * bench/monitoring (drift): (a) every drift test over 1M current rows × 20 features against a 1M-row
 * baseline, next to the same statistics as hand-written DuckDB queries (bare-drift.ts) in the same
 * run; (b) 1M rows × 1,000 numeric columns a side, in a child process whose peak RSS is the figure.
 */
export async function benchMonitoringDrift(): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciclo-bench-drift-'));
  try {
    const files = {
      reference: path.join(dir, 'reference.parquet'),
      current: path.join(dir, 'current.parquet'),
      wideReference: path.join(dir, 'wide-reference.parquet'),
      wideCurrent: path.join(dir, 'wide-current.parquet'),
    };
    const engine = await DataEngine.open();
    let mixed: string;
    try {
      await writeMixedTable(engine, files.reference, ROWS, 0, 1);
      await writeMixedTable(engine, files.current, ROWS, 0.05, 2);
      mixed = await benchMixed(engine, files.reference, files.current);
      await writeWideTable(engine, files.wideReference, ROWS, WIDE_COLUMNS, 0, 1);
      await writeWideTable(engine, files.wideCurrent, ROWS, WIDE_COLUMNS, 0.05, 2);
    } finally {
      // Closed before the child runs, so the generator's memory is given back first.
      engine.close();
    }
    return [mixed, await benchWide(files.wideReference, files.wideCurrent)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchMixed(engine: DataEngine, referenceFile: string, currentFile: string): Promise<string> {
  const features: FeatureSpec[] = [
    ...Array.from({ length: 14 }, (_, k) => ({ name: `n${k}`, kind: 'numeric' as const })),
    ...Array.from({ length: 6 }, (_, k) => ({ name: `c${k}`, kind: 'categorical' as const })),
  ];
  const reference = readFilesSql([referenceFile], 'parquet');
  const current = readFilesSql([currentFile], 'parquet');
  const ciclo: number[] = [];
  const cicloCpu: number[] = [];
  const bare: number[] = [];
  let metrics = 0;
  for (let i = 0; i < REPEATS; i++) {
    let start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const values = await computeDrift(engine, { reference, current, features });
    ciclo.push(elapsedMs(start));
    const { user, system } = process.cpuUsage(cpu);
    cicloCpu.push((user + system) / 1000);
    metrics = values.filter((v) => v.value !== null).length;
    start = process.hrtime.bigint();
    await bareDrift(engine, reference, current, features);
    bare.push(elapsedMs(start));
  }
  if (metrics !== 20 * 4) throw new Error(`expected ${20 * 4} drift values, got ${metrics}`);
  const c = summarize(ciclo).p50 / 1000;
  const b = summarize(bare).p50 / 1000;
  return (
    `(a) drift, 1M rows × 20 features (14 numeric: PSI, KS + p-value, Wasserstein; 6 categorical: chi² + p-value, ` +
    `Jensen–Shannon, PSI) against a 1M-row baseline (Parquet), median of ${REPEATS}: Ciclo ${fmt(c)} s ` +
    `(${fmt(summarize(cicloCpu).p50 / 1000)} CPU s; target < 2 s); hand-written DuckDB ${fmt(b)} s; ` +
    `ratio ${fmt(c / b)}x (target ≤ 1.5x)`
  );
}

/** The 1,000-column case in a child process, so its peak RSS is its own, not the generator's. */
async function benchWide(referenceFile: string, currentFile: string): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WIDE_PROCESS, referenceFile, currentFile, String(WIDE_COLUMNS)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let printed = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (printed += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${WIDE_PROCESS} exited with ${code}: ${printed}`);
  const result = JSON.parse(printed) as { seconds: number; cpuSeconds: number; maxRssMb: number; values: number };
  return (
    `(b) drift, 1M rows × ${WIDE_COLUMNS} numeric columns a side (2-decimal amounts, 100k distinct values each; ` +
    `PSI, KS + p-value, Wasserstein), one run: ${fmt(result.seconds)} s (${fmt(result.cpuSeconds)} CPU s; ` +
    `target < 60 s), peak RSS ` +
    `${fmt(result.maxRssMb, 0)} MB (target < 2048 MB), ${result.values} values`
  );
}
