import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stepRuntimes } from '../../../src/app/step-kinds.js';
import { LocalExecutor, type StepJob } from '../../../src/pipelines/index.js';
import { jobIn, noSignal, tempFolder } from './support.js';

let folder: string;
let remove: () => Promise<void>;
const executor = new LocalExecutor({ runtimes: stepRuntimes() });

beforeEach(async () => {
  ({ folder, remove } = await tempFolder());
});

afterEach(() => remove());

function contextJob(config: Record<string, unknown>): StepJob {
  return jobIn(folder, 'ts', config, {
    params: { epochs: 3, name: 'churn' },
    inputs: { data: '/data/train.csv' },
    outputs: { model: path.join(folder, 'out', 'model.json') },
    trackingUri: 'http://127.0.0.1:5050',
  });
}

const expectedContext = () => ({
  params: { epochs: 3, name: 'churn' },
  inputs: { data: '/data/train.csv' },
  outputs: { model: path.join(folder, 'out', 'model.json') },
  outputDir: path.join(folder, 'out'),
  runId: 'step-run-1',
  trackingUri: 'http://127.0.0.1:5050',
});

describe('LocalExecutor with a ts step', () => {
  it('calls a TypeScript module export with the step context', async () => {
    await writeFile(
      path.join(folder, 'steps.ts'),
      `import { writeFileSync } from 'node:fs';
interface Context { outputs: { model: string } }
export function train(context: Context): void {
  writeFileSync(context.outputs.model, JSON.stringify({ context, execArgv: process.execArgv }));
}
`,
    );
    const result = await executor.run(contextJob({ module: 'steps.ts', export: 'train' }), noSignal);
    expect(result).toMatchObject({ status: 'succeeded', exitCode: 0 });
    const written = JSON.parse(await readFile(path.join(folder, 'out', 'model.json'), 'utf8'));
    expect(written.context).toEqual(expectedContext());
    expect(written.execArgv).toContain('--import');
  });

  it('runs a JavaScript module default export without a TypeScript loader', async () => {
    await writeFile(
      path.join(folder, 'step.mjs'),
      `import { writeFile } from 'node:fs/promises';
export default async (context) => {
  await writeFile(context.outputs.model, JSON.stringify({ context, execArgv: process.execArgv }));
};
`,
    );
    const result = await executor.run(contextJob({ module: 'step.mjs', export: 'default' }), noSignal);
    expect(result.status).toBe('succeeded');
    const written = JSON.parse(await readFile(path.join(folder, 'out', 'model.json'), 'utf8'));
    expect(written.context).toEqual(expectedContext());
    expect(written.execArgv).toEqual([]);
  });

  it('fails with exit code 1 and the error and its stack in the log when the export throws', async () => {
    await writeFile(
      path.join(folder, 'bad.ts'),
      `export function train(): never { throw new Error('no rows to train on'); }\n`,
    );
    const job = contextJob({ module: 'bad.ts', export: 'train' });
    const result = await executor.run(job, noSignal);
    expect(result).toMatchObject({ status: 'failed', exitCode: 1 });
    const log = await readFile(job.logFile, 'utf8');
    expect(log).toContain('Error: no rows to train on');
    expect(log).toMatch(/at train \(.*bad\.ts/);
  });

  it('fails with a clear message when the module has no such export', async () => {
    await writeFile(path.join(folder, 'step.mjs'), 'export const other = () => {};\n');
    const job = contextJob({ module: 'step.mjs', export: 'train' });
    expect((await executor.run(job, noSignal)).status).toBe('failed');
    expect(await readFile(job.logFile, 'utf8')).toContain('has no exported function "train" (it exports: other)');
  });
});
