import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidStateError } from '../../common/errors.js';
import { makePrivateDir } from '../../common/private-files.js';
import { captureCodeVersion } from '../../tracking/index.js';
import type { ParamValue, PipelineDefinition } from '../definition/definition.js';
import type { PipelineRunStatus, StepExecutionRow } from './run-store.js';
import type { DriveControl, PipelineService } from '../service.js';

const exec = promisify(execFile);

export interface DigestComparison {
  step: string;
  name: string;
  original: string | null;
  reproduced: string | null;
  identical: boolean;
}

export interface ReproduceReport {
  originalRunId: string;
  pipelineRunId: string;
  status: PipelineRunStatus;
  /** The commit the original run recorded, when its folder was a git checkout. */
  commit: string | null;
  /** Where the steps ran: the original folder, or a checkout of the recorded commit. */
  checkout: 'original-folder' | 'recorded-commit';
  inputs: DigestComparison[];
  outputs: DigestComparison[];
}

/**
 * Runs a finished pipeline run again with what it recorded: its compiled definition, params and
 * environment, every step executed (no cache), and its code at the recorded commit (a temporary
 * git worktree when the folder has moved on or has uncommitted changes). Then compares, output by
 * output, the content digests of both runs.
 */
export async function reproduceRun(
  service: PipelineService,
  originalRunId: string,
  control: DriveControl = {},
): Promise<ReproduceReport> {
  const original = await service.getRun(originalRunId);
  const definition = JSON.parse(original.run.definition) as PipelineDefinition;
  const params = JSON.parse(original.run.params) as Record<string, ParamValue>;
  // Checkouts go under CICLO_HOME, usually inside the project, so steps still find its node_modules.
  const checkout = await checkoutAt(
    original.run.work_dir,
    original.run.git_commit,
    path.join(service.home, 'reproduce'),
  );
  try {
    const pipelineRunId = await service.start(
      { definition, workDir: checkout.workDir },
      {
        params,
        ...(original.run.environment === null ? {} : { env: original.run.environment }),
        noCache: true,
        reproduces: originalRunId,
      },
    );
    const status = await service.drive(pipelineRunId, control);
    const reproduced = await service.getRun(pipelineRunId);
    return {
      originalRunId,
      pipelineRunId,
      status,
      commit: original.run.git_commit,
      checkout: checkout.kind,
      inputs: compare(original.steps, reproduced.steps, 'input_digests'),
      outputs: compare(original.steps, reproduced.steps, 'output_digests'),
    };
  } finally {
    await checkout.release();
  }
}

interface Checkout {
  kind: ReproduceReport['checkout'];
  workDir: string;
  release(): Promise<void>;
}

async function checkoutAt(workDir: string, commit: string | null, scratch: string): Promise<Checkout> {
  const here: Checkout = { kind: 'original-folder', workDir, release: async () => undefined };
  if (commit === null) return here;
  const current = await captureCodeVersion(workDir);
  if (current?.commit === commit && !current.dirty) return here;
  const root = (await git(workDir, ['rev-parse', '--show-toplevel'])).trim();
  await makePrivateDir(scratch);
  const folder = await mkdtemp(path.join(scratch, 'checkout-'));
  try {
    await git(root, ['worktree', 'add', '--detach', folder, commit]);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw new InvalidStateError(`cannot check out the recorded commit ${commit}: ${(error as Error).message.trim()}`, {
      where: workDir,
      hint: 'the commit must still exist in the repository of the pipeline folder',
    });
  }
  return {
    kind: 'recorded-commit',
    workDir: path.join(folder, path.relative(root, workDir)),
    release: async () => {
      await git(root, ['worktree', 'remove', '--force', folder]).catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function git(cwd: string, args: string[]): Promise<string> {
  return (await exec('git', args, { cwd, encoding: 'utf8' })).stdout;
}

/** Each step's digests in both runs, from their final attempts. */
function compare(
  original: readonly StepExecutionRow[],
  reproduced: readonly StepExecutionRow[],
  column: 'input_digests' | 'output_digests',
): DigestComparison[] {
  const last = (steps: readonly StepExecutionRow[]) => {
    const byStep = new Map<string, Record<string, string>>();
    for (const step of steps) {
      const digests = step[column];
      if (digests !== null) byStep.set(step.step_name, JSON.parse(digests) as Record<string, string>);
    }
    return byStep;
  };
  const before = last(original);
  const after = last(reproduced);
  const comparisons: DigestComparison[] = [];
  for (const step of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const names = new Set([...Object.keys(before.get(step) ?? {}), ...Object.keys(after.get(step) ?? {})]);
    for (const name of [...names].sort()) {
      const was = before.get(step)?.[name] ?? null;
      const now = after.get(step)?.[name] ?? null;
      comparisons.push({ step, name, original: was, reproduced: now, identical: was !== null && was === now });
    }
  }
  return comparisons;
}
