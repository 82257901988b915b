import { loadavg } from 'node:os';
import { fmt, summarize } from '../stats.js';
import { openBenchContext, timePipelineRun } from './measure.js';
import { rawSpawns } from './raw.js';
import { CHAIN_STEPS, chainPipeline, NOOP, WIDE_PARALLELISM, WIDE_STEPS, widePipeline } from './workload.js';

/** Timed repetitions of (a) and (c), after one untimed warm-up each; medians are reported. */
export const REPEATS = 5;

const median = (durations: number[]) => summarize(durations).p50;
const range = (durations: number[]) => `${fmt(Math.min(...durations), 0)}–${fmt(Math.max(...durations), 0)} ms`;

/**
 * bench/pipelines: the scheduler's cost per step against raw `child_process.spawn`s of the same
 * no-op, through `PipelineService.run` on the embedded default (SQLite in a temp folder).
 */
export async function benchPipelines(): Promise<string[]> {
  const lines: string[] = [];
  const command = NOOP.join(' ');
  // Spawn cost depends on how busy the cores are; a shared machine's load is part of the reading.
  const loadBefore = loadavg()[0]!;

  // (a) a 100-step chain, caching off, vs 100 sequential spawns; alternated so drift hits both.
  {
    const bench = await openBenchContext();
    try {
      const chain = chainPipeline('bench-chain');
      await timePipelineRun(bench, chain, { noCache: true, expect: 'SUCCEEDED' });
      await rawSpawns(CHAIN_STEPS);
      const ciclo: number[] = [];
      const raw: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        ciclo.push(await timePipelineRun(bench, chain, { noCache: true, expect: 'SUCCEEDED' }));
        raw.push(await rawSpawns(CHAIN_STEPS));
      }
      const c = median(ciclo);
      const r = median(raw);
      lines.push(
        `(a) ${CHAIN_STEPS}-step chain of \`${command}\`, noCache, median of ${REPEATS}: ` +
          `Ciclo ${fmt(c, 0)} ms (${range(ciclo)}); ` +
          `${CHAIN_STEPS} sequential raw spawns ${fmt(r, 0)} ms (${range(raw)}); ` +
          `ratio ${fmt(c / r)}x (target <= 1.3x); ` +
          `overhead ${fmt((c - r) / CHAIN_STEPS)} ms/step (raw spawn ${fmt(r / CHAIN_STEPS)} ms/step)`,
      );
    } finally {
      await bench.drop();
    }
  }

  // (b) a 1000-step wide DAG at parallelism 2 vs 1000 spawns two at a time.
  {
    const bench = await openBenchContext();
    try {
      const wide = widePipeline('bench-wide');
      const ciclo = await timePipelineRun(bench, wide, { noCache: true, expect: 'SUCCEEDED' });
      const raw = await rawSpawns(WIDE_STEPS, WIDE_PARALLELISM);
      const cicloRate = WIDE_STEPS / (ciclo / 1000);
      const rawRate = WIDE_STEPS / (raw / 1000);
      lines.push(
        `(b) ${WIDE_STEPS}-step wide DAG (1 root → ${WIDE_STEPS - 2} independent middles → 1 sink), ` +
          `parallelism ${WIDE_PARALLELISM}, noCache: Ciclo ${fmt(cicloRate, 1)} steps/s (${fmt(ciclo / 1000)} s); ` +
          `raw spawns ${WIDE_PARALLELISM} at a time ${fmt(rawRate, 1)} steps/s (${fmt(raw / 1000)} s); ` +
          `ratio ${fmt(raw === 0 ? NaN : ciclo / raw)}x the raw time`,
      );
    } finally {
      await bench.drop();
    }
  }

  // (c) the 100-step chain again once every step is cached.
  {
    const bench = await openBenchContext();
    try {
      const chain = chainPipeline('bench-cached');
      const first = await timePipelineRun(bench, chain, { noCache: false, expect: 'SUCCEEDED' });
      await timePipelineRun(bench, chain, { noCache: false, expect: 'CACHED' });
      const cached: number[] = [];
      for (let i = 0; i < REPEATS; i++)
        cached.push(await timePipelineRun(bench, chain, { noCache: false, expect: 'CACHED' }));
      const c = median(cached);
      lines.push(
        `(c) ${CHAIN_STEPS}-step chain re-run, every step CACHED, median of ${REPEATS}: ` +
          `${fmt(c, 0)} ms (${range(cached)}; target < 1000 ms), ${fmt(c / CHAIN_STEPS)} ms/step; ` +
          `the first, uncached run with caching on took ${fmt(first, 0)} ms`,
      );
    } finally {
      await bench.drop();
    }
  }
  lines.push(`1-minute load average ${fmt(loadBefore)} before, ${fmt(loadavg()[0]!)} after`);
  return lines;
}
