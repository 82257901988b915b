import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StepJob } from '../../../src/pipelines/index.js';

/** A folder of its own for one test, removed afterwards by the returned function. */
export async function tempFolder(): Promise<{ folder: string; remove: () => Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), 'ciclo-executor-'));
  return { folder, remove: () => rm(folder, { recursive: true, force: true }) };
}

/** A job of `kind` in `folder`: the pipeline folder is `folder`, outputs and logs go beneath it. */
export function jobIn(
  folder: string,
  kind: string,
  config: Record<string, unknown>,
  extra: Partial<StepJob> = {},
): StepJob {
  return {
    pipelineRunId: 'pipeline-run-1',
    stepRunId: 'step-run-1',
    stepName: 'train',
    attempt: 1,
    kind,
    config,
    params: {},
    inputs: {},
    outputs: {},
    outputDir: path.join(folder, 'out'),
    workDir: folder,
    logFile: path.join(folder, 'logs', 'train.log'),
    env: {},
    ...extra,
  };
}

export const noSignal: { signal: AbortSignal } = { signal: new AbortController().signal };

/** Whether a process still runs; a zombie waiting to be reaped has ended. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

export async function readPid(file: string): Promise<number> {
  for (let tries = 0; tries < 100; tries += 1) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.trim()) return Number(text.trim());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no pid written to ${file}`);
}
