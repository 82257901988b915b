import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { elapsedMs } from '../stats.js';
import { NOOP } from './workload.js';

/** The floor for one step: spawn the same no-op, no shell, and wait for it to exit. */
async function spawnOnce(): Promise<void> {
  const [executable, ...args] = NOOP;
  const child = spawn(executable!, args, { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${NOOP.join(' ')} exited with ${code}`);
}

/** Milliseconds for `count` spawns, `concurrency` at a time (1: one after another). */
export async function rawSpawns(count: number, concurrency = 1): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await spawnOnce();
      }
    }),
  );
  return elapsedMs(start);
}
