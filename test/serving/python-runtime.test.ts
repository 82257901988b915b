import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, UnavailableError } from '../../src/common/errors.js';
import { frameOf, type Cell, type Frame } from '../../src/serving/frame.js';
import { PythonRuntime, type PythonModel } from '../../src/serving/runtimes/python.js';
import { makeTempDir } from '../support/temp.js';

/** Debian's interpreter sees python3-sklearn; a python3 earlier on PATH (pyenv) may not. */
const PYTHON = process.env.CICLO_PYTHON ?? '/usr/bin/python3';
const FIXTURE = join(import.meta.dirname, 'fixtures', 'make_sklearn_models.py');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** What sklearn itself answered for the fixture's rows, in the process that trained the model. */
interface SklearnAnswers {
  rows: number[][];
  labels: number[];
  proba: number[][];
}

type SharedModel = 'ciclo' | 'mlflowSklearn' | 'mlflowPyfunc' | 'echo' | 'closing';

describe('the python runtime (real worker processes, Debian scikit-learn)', () => {
  const temp = makeTempDir('ciclo-python-runtime-');
  const logged: string[] = [];
  const runtime = new PythonRuntime({ python: PYTHON, log: ({ line }) => logged.push(line) });
  let sklearn: SklearnAnswers;
  // A worker that unpickles an estimator imports scikit-learn: about a second of CPU each. The models the
  // tests share are loaded side by side once; the crash and close tests use the echo model, which does not.
  let models: Record<SharedModel, PythonModel>;

  function load(folder: string, flavor: string, outputs: readonly string[] = []): Promise<PythonModel> {
    const signature = {
      inputs: FEATURES.map((name) => ({ name, type: 'double' })),
      outputs: outputs.map((name) => ({ name, type: 'double' })),
    };
    return runtime.load({ folder: join(temp.dir, folder), flavor, signature });
  }

  function irisFrame(rows: readonly number[][] = sklearn.rows, features = FEATURES): Frame {
    return frameOf(
      rows.length,
      features.map((name, i): [string, Cell[]] => [name, rows.map((row) => row[i]!)]),
    );
  }

  beforeAll(async () => {
    sklearn = JSON.parse(execFileSync(PYTHON, ['-B', FIXTURE, temp.dir], { encoding: 'utf8' })) as SklearnAnswers;
    const [ciclo, mlflowSklearn, mlflowPyfunc, echo, closing] = await Promise.all([
      load('ciclo', 'sklearn', ['label']),
      load('mlflow', 'mlflow:sklearn'),
      load('proba', 'mlflow:python_function'),
      load('echo', 'mlflow:sklearn', FEATURES),
      load('echo', 'mlflow:sklearn'),
    ]);
    models = { ciclo, mlflowSklearn, mlflowPyfunc, echo, closing };
  });

  afterAll(async () => {
    await Promise.all(Object.values(models ?? {}).map((model) => model.close()));
    temp.remove();
  });

  it('predicts with a pickled estimator as sklearn itself does, under the signature output name', async () => {
    const answer = await models.ciclo.predict(irisFrame());
    expect([...answer.columns.keys()]).toEqual(['label']);
    expect(answer.columns.get('label')).toEqual(sklearn.labels);
  });

  it('loads an MLflow folder by its sklearn flavor, answering one column `predictions`', async () => {
    const answer = await models.mlflowSklearn.predict(irisFrame());
    expect([...answer.columns.keys()]).toEqual(['predictions']);
    expect(answer.columns.get('predictions')).toEqual(sklearn.labels);
  });

  it('loads by python_function (loader mlflow.sklearn), calling the predict_fn MLmodel names', async () => {
    const answer = await models.mlflowPyfunc.predict(irisFrame());
    expect([...answer.columns.keys()]).toEqual(['predictions']);
    expect(answer.columns.get('predictions')).toEqual(sklearn.proba);
  });

  it('feeds the columns in signature order and splits row arrays across several outputs', async () => {
    const answer = await models.echo.predict(irisFrame());
    expect([...answer.columns.keys()]).toEqual(FEATURES);
    FEATURES.forEach((name, i) => expect(answer.columns.get(name)).toEqual(sklearn.rows.map((row) => row[i])));
  });

  it("answers a batch the model refuses with 400 and sklearn's own message, and serves the next", async () => {
    const refused = await models.ciclo.predict(irisFrame(sklearn.rows, FEATURES.slice(0, 3))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toMatch(/^the model raised ValueError: X has 3 features, .*expecting 4/);
    expect(logged.some((line) => line.startsWith('ValueError: X has 3 features'))).toBe(true);
    expect((await models.ciclo.predict(irisFrame())).columns.get('label')).toEqual(sklearn.labels);
  });

  it('fails the request in flight with 503 when the worker dies, and serves the next from a new worker', async () => {
    const model = models.echo;
    const pid = model.workerPid()!;
    const inFlight = model.predict(irisFrame());
    const queued = model.predict(irisFrame([sklearn.rows[0]!]));
    process.kill(pid, 'SIGKILL');
    const failure = await inFlight.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnavailableError);
    expect(failure).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    expect((failure as Error).message).toContain('SIGKILL');
    expect((await queued).columns.get('sepal_length')).toEqual([sklearn.rows[0]![0]]);
    expect((await model.predict(irisFrame())).columns.get('petal_width')).toEqual(sklearn.rows.map((row) => row[3]));
    expect(model.workerPid()).not.toBe(pid);
  });

  it('refuses a broken pickle at load with the Python exception, not a traceback', async () => {
    const refused = await load('broken', 'sklearn').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toMatch(/^the model could not be loaded: UnpicklingError: \S/);
    expect((refused as Error).message).not.toContain('Traceback');
  });

  it('refuses a python_function model whose loader needs mlflow, saying which loader is served', async () => {
    cpSync(join(temp.dir, 'mlflow'), join(temp.dir, 'custom'), { recursive: true });
    writeFileSync(
      join(temp.dir, 'custom', 'MLmodel'),
      'flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n    python_model: python_model.pkl\n',
    );
    await expect(load('custom', 'mlflow:python_function')).rejects.toThrow(
      /ModelLoadError: python_function loader_module 'mlflow.pyfunc.model' needs mlflow.*only mlflow.sklearn/,
    );
  });

  it('refuses at load when the interpreter cannot be started, naming it', async () => {
    const missing = new PythonRuntime({ python: join(temp.dir, 'no-python'), log: () => undefined });
    const model = { folder: join(temp.dir, 'ciclo'), flavor: 'sklearn', signature: { inputs: [], outputs: [] } };
    await expect(missing.load(model)).rejects.toThrow(/python worker could not be started \(spawn .*no-python ENOENT/);
  });

  it('ends the worker process on close', async () => {
    const pid = models.closing.workerPid()!;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await models.closing.close();
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});
