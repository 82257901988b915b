import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ciclo } from '../../src/sdk/index.js';
import { loadConfig } from '../../src/common/config.js';
import { fmt, summarize } from '../stats.js';

const CLI = fileURLToPath(new URL('../../dist/bin/ciclo.js', import.meta.url));
/** tsc's unbundled output of the same program: what the bundle saves. */
const UNBUNDLED = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const REPEATS = 15;
const SMALL_STORE_RUNS = 20;

/**
 * bench/cli: wall time of a whole `ciclo` process, as a user's shell sees it, against the floor of
 * starting Node at all (`node -e 0`). The store is small (20 runs): this is start-up, not search.
 */
export async function benchCli(): Promise<string[]> {
  const home = mkdtempSync(join(tmpdir(), 'ciclo-bench-cli-'));
  try {
    const env = { ...withoutCicloVariables(), CICLO_HOME: home };
    const ciclo = await Ciclo.connect({ config: loadConfig(env, home) });
    for (let i = 0; i < SMALL_STORE_RUNS; i++) {
      await ciclo.withRun({ experiment: 'bench-cli', captureCode: false }, async (run) => run.log({ auc: i / 100 }));
    }
    await ciclo.close();
    const time = (args: readonly string[]) => medianWallMs(args, env);
    const floor = time(['-e', '0']);
    const lines = [`floor: \`node -e 0\` ${fmt(floor, 0)} ms (median of ${REPEATS})`];
    for (const [label, args] of [
      ['`ciclo runs list`', [CLI, 'runs', 'list']],
      ['`ciclo --help`', [CLI, '--help']],
      ['`ciclo models list`', [CLI, 'models', 'list']],
      ['`ciclo runs list`, unbundled (dist/cli/main.js)', [UNBUNDLED, 'runs', 'list']],
    ] as const) {
      const ms = time(args);
      lines.push(`${label}: ${fmt(ms, 0)} ms wall, ${fmt(ms / floor, 1)}× bare node (target ≤ 300 ms)`);
    }
    return lines;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function medianWallMs(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const durations: number[] = [];
  // One untimed run first: the page cache, not the program, would be measured otherwise.
  for (let i = 0; i <= REPEATS; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.toString()}`);
    if (i > 0) durations.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return summarize(durations).p50;
}

function withoutCicloVariables(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
}
