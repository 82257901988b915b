import { mkdtemp, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import {
  canonicalJson,
  codeFilesOf,
  computeStepCacheKey,
  definePipeline,
  step,
  type StepDefinition,
  type StepSpec,
} from '../../src/pipelines/index.js';

const DATA = `sha256:${'a'.repeat(64)}`;
const OTHER_DATA = `sha256:${'b'.repeat(64)}`;

let workDir: string;

beforeEach(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'ciclo-cache-key-'));
  await writeFile(path.join(workDir, 'train.py'), 'print("train")\n');
  await writeFile(path.join(workDir, 'evaluate.ts'), 'export default () => {};\n');
  await mkdir(path.join(workDir, 'data'));
});

afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** The `train` step of a two-step pipeline, compiled; `overrides` replace or add fields of its spec. */
function trainStep(overrides: Partial<StepSpec> = {}): StepDefinition {
  const pipeline = definePipeline({
    name: 'churn',
    params: { lr: { type: 'number', default: 0.01 } },
    steps: [
      step('prepare', { kind: 'command', command: ['true'], outputs: { table: { type: 'dataset' } } }),
      step('train', {
        kind: 'command',
        command: 'python3 train.py --lr ${params.lr} --data ${inputs.table}',
        inputs: { table: 'steps.prepare.outputs.table' },
        outputs: { model: { type: 'model' } },
        env: { PYTHONHASHSEED: '0' },
        ...overrides,
      }),
    ],
  });
  return pipeline.steps.find((candidate) => candidate.name === 'train')!;
}

function tsStep(module = './evaluate.ts'): StepDefinition {
  const pipeline = definePipeline({ name: 'p', steps: [step('evaluate', { kind: 'ts', module })] });
  return pipeline.steps[0]!;
}

async function keyOf(
  train: StepDefinition,
  change: {
    params?: Record<string, number>;
    inputDigests?: Record<string, string>;
    environment?: Record<string, string>;
  } = {},
) {
  return computeStepCacheKey({
    step: train,
    params: change.params ?? { lr: 0.01 },
    inputDigests: change.inputDigests ?? { table: DATA },
    codeFiles: await codeFilesOf(train, workDir),
    ...(change.environment === undefined ? {} : { environment: change.environment }),
    workDir,
  });
}

function changedParts(a: Record<string, string>, b: Record<string, string>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((name) => a[name] !== b[name]).sort();
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: true } })).toBe('{"a":{"c":true,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: { c: true, d: [2, 1] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [2, 1], c: true } }));
  });
});

describe('codeFilesOf', () => {
  it('finds every command word that names a file inside the pipeline folder', async () => {
    await writeFile(path.join(workDir, 'run.sh'), 'echo\n');
    const command = ['./run.sh', 'train.py', 'missing.py', '--data', 'data', '/etc/hostname'];
    const files = await codeFilesOf(trainStep({ command }), workDir);
    expect(files).toEqual([path.join(workDir, 'run.sh'), path.join(workDir, 'train.py')]);
  });

  it('resolves command words against the step cwd and renders params', async () => {
    await mkdir(path.join(workDir, 'models'));
    await writeFile(path.join(workDir, 'models', 'fit.py'), 'fit\n');
    const inCwd = trainStep({ command: 'python3 fit.py ../train.py', cwd: 'models' });
    expect(await codeFilesOf(inCwd, workDir)).toEqual([
      path.join(workDir, 'models', 'fit.py'),
      path.join(workDir, 'train.py'),
    ]);
    const fromParam = definePipeline({
      name: 'p',
      params: { script: { type: 'string' } },
      steps: [step('fit', { kind: 'command', command: 'python3 ${params.script}' })],
    }).steps[0]!;
    expect(await codeFilesOf(fromParam, workDir, { script: 'train.py' })).toEqual([path.join(workDir, 'train.py')]);
  });

  it('gives a ts step its module, and refuses a module that does not exist', async () => {
    expect(await codeFilesOf(tsStep(), workDir)).toEqual([path.join(workDir, 'evaluate.ts')]);
    await expect(codeFilesOf(tsStep('./gone.ts'), workDir)).rejects.toThrow(InvalidInputError);
    await expect(codeFilesOf(tsStep('./gone.ts'), workDir)).rejects.toThrow(
      'the module "./gone.ts" of step "evaluate" is not a file',
    );
  });
});

describe('computeStepCacheKey', () => {
  it('is a sha256 digest with a digest per component and per code file', async () => {
    const { key, parts } = await keyOf(trainStep());
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    const names = ['code', 'code:train.py', 'definition', 'environment', 'inputs', 'params'];
    expect(Object.keys(parts).sort()).toEqual(names);
    for (const digest of Object.values(parts)) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is the same for the same inputs whatever the order of object keys', async () => {
    const train = trainStep();
    const first = await computeStepCacheKey({
      step: train,
      params: { lr: 0.01, epochs: 3 },
      inputDigests: { table: DATA },
      codeFiles: ['train.py'],
      environment: { lockfile: DATA, python: '3.12' },
      workDir,
    });
    const reordered = Object.fromEntries(Object.entries(train).reverse()) as StepDefinition;
    const second = await computeStepCacheKey({
      step: { ...reordered, outputs: { ...train.outputs }, env: { ...train.env } },
      params: { epochs: 3, lr: 0.01 },
      inputDigests: { table: DATA },
      codeFiles: [path.join(workDir, 'train.py'), 'train.py'],
      environment: { python: '3.12', lockfile: DATA },
      workDir,
    });
    expect(second).toEqual(first);
  });

  it('changes with a param, and only the params part', async () => {
    const train = trainStep();
    const before = await keyOf(train);
    const after = await keyOf(train, { params: { lr: 0.02 } });
    expect(after.key).not.toBe(before.key);
    expect(changedParts(before.parts, after.parts)).toEqual(['params']);
  });

  it('changes with an input digest, and only the inputs part', async () => {
    const train = trainStep();
    const before = await keyOf(train);
    const after = await keyOf(train, { inputDigests: { table: OTHER_DATA } });
    expect(after.key).not.toBe(before.key);
    expect(changedParts(before.parts, after.parts)).toEqual(['inputs']);
  });

  it('changes with the content of a code file but not with its mtime', async () => {
    const train = trainStep();
    const before = await keyOf(train);
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(workDir, 'train.py'), later, later);
    expect(await keyOf(train)).toEqual(before);
    await writeFile(path.join(workDir, 'train.py'), 'print("train better")\n');
    const after = await keyOf(train);
    expect(after.key).not.toBe(before.key);
    expect(changedParts(before.parts, after.parts)).toEqual(['code', 'code:train.py']);
  });

  it('changes with the command, and only the definition part', async () => {
    const before = await keyOf(trainStep());
    const command = 'python3 train.py --lr ${params.lr} --data ${inputs.table} --fast';
    const after = await keyOf(trainStep({ command }));
    expect(after.key).not.toBe(before.key);
    expect(changedParts(before.parts, after.parts)).toEqual(['definition']);
  });

  it('changes with a step env value or a declared environment value, and only the environment part', async () => {
    const before = await keyOf(trainStep(), { environment: { lockfile: DATA } });
    const stepEnv = await keyOf(trainStep({ env: { PYTHONHASHSEED: '1' } }), { environment: { lockfile: DATA } });
    const declared = await keyOf(trainStep(), { environment: { lockfile: OTHER_DATA } });
    for (const after of [stepEnv, declared]) {
      expect(after.key).not.toBe(before.key);
      expect(changedParts(before.parts, after.parts)).toEqual(['environment']);
    }
  });

  it('does not change with retries, backoff, timeout or cache', async () => {
    const before = await keyOf(trainStep());
    const after = await keyOf(
      trainStep({ retries: 5, retryBackoff: { initialMs: 10, maxMs: 20 }, timeout: '30s', cache: false }),
    );
    expect(after).toEqual(before);
  });

  it('includes the module of a ts step', async () => {
    const evaluate = tsStep();
    const keyNow = async () =>
      computeStepCacheKey({
        step: evaluate,
        params: {},
        inputDigests: {},
        codeFiles: await codeFilesOf(evaluate, workDir),
        workDir,
      });
    const before = await keyNow();
    expect(Object.keys(before.parts)).toContain('code:evaluate.ts');
    await writeFile(path.join(workDir, 'evaluate.ts'), 'export default () => 1;\n');
    const after = await keyNow();
    expect(changedParts(before.parts, after.parts)).toEqual(['code', 'code:evaluate.ts']);
  });

  it('refuses a code file named explicitly that does not exist', async () => {
    const train = trainStep();
    const attempt = computeStepCacheKey({
      step: train,
      params: { lr: 0.01 },
      inputDigests: { table: DATA },
      codeFiles: ['train.py', 'gone.py'],
      workDir,
    });
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toThrow('code file "gone.py" of step "train" does not exist');
  });

  it('refuses a missing or an undeclared input digest', async () => {
    const train = trainStep();
    await expect(keyOf(train, { inputDigests: {} })).rejects.toThrow(
      'step "train" has no digest for its input(s) table',
    );
    await expect(keyOf(train, { inputDigests: { table: DATA, extra: DATA } })).rejects.toThrow(
      'step "train" declares no input(s) extra',
    );
  });
});
