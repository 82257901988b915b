import { InvalidInputError, UnavailableError } from '../../common/errors.js';
import type { Frame } from '../frame.js';
import type { LoadedModel, ModelRuntime, ServablePackage } from '../runtime.js';
import { predictionFrame } from './python-output.js';
import { PythonWorker, WorkerExitedError, type WorkerOptions } from './python-worker.js';
import { packagePath } from '../../common/package-files.js';

/** The worker script, shipped in the package's python/ folder. */
const WORKER_SCRIPT = packagePath('python', 'ciclo_model_worker.py');
/** How long a closed model's worker may take to exit on the end of its stdin before it is killed. */
const CLOSE_GRACE_MS = 2000;

export interface PythonWorkerLogLine {
  readonly pid: number | undefined;
  /** The package folder the worker serves. */
  readonly folder: string;
  readonly line: string;
}

export interface PythonRuntimeOptions {
  /** The interpreter: one that imports numpy and scikit-learn (Debian's /usr/bin/python3 with python3-sklearn). */
  readonly python: string;
  /** Where the workers' stderr goes, line by line; by default the server's stderr. */
  readonly log?: (entry: PythonWorkerLogLine) => void;
}

/**
 * The `python` runtime: scikit-learn pickles and MLflow sklearn folders, each loaded model in a
 * long-lived worker process of its own, so a model's code (unpickling runs arbitrary code) never runs
 * in the server, and a model that crashes or leaks takes down only its worker, which is started again.
 */
export class PythonRuntime implements ModelRuntime {
  readonly name = 'python';
  readonly flavors = ['sklearn', 'mlflow:sklearn', 'mlflow:python_function'];
  readonly #options: PythonRuntimeOptions;

  constructor(options: PythonRuntimeOptions) {
    this.#options = options;
  }

  async load(model: ServablePackage): Promise<PythonModel> {
    const log = this.#options.log ?? writeToStderr;
    const worker: WorkerOptions = {
      python: this.#options.python,
      script: WORKER_SCRIPT,
      log: (line, pid) => log({ pid, folder: model.folder, line }),
    };
    return new PythonModel(worker, model, await startLoaded(worker, model));
  }
}

/**
 * A model served by a worker. Requests go to the worker one at a time, queued here: the worker is one
 * Python thread, so sending the next request before the answer would gain no parallelism, and with one
 * request in flight a crash fails exactly that request while the queued ones go to the next worker.
 */
export class PythonModel implements LoadedModel {
  readonly #options: WorkerOptions;
  readonly #model: ServablePackage;
  readonly #outputs: readonly string[];
  /** The worker serving now, or loading after a crash; undefined after a failed restart (the next request retries). */
  #worker: Promise<PythonWorker> | undefined;
  #current: PythonWorker | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: WorkerOptions, model: ServablePackage, worker: PythonWorker) {
    this.#options = options;
    this.#model = model;
    this.#outputs = model.signature.outputs.map((column) => column.name);
    this.#worker = Promise.resolve(this.#adopt(worker));
  }

  predict(batch: Frame): Promise<Frame> {
    const answer = this.#queue.then(() => this.#predictNow(batch));
    this.#queue = answer.catch(() => undefined);
    return answer;
  }

  /** The process id of the worker serving now (undefined while one is being started): for operators and tests. */
  workerPid(): number | undefined {
    return this.#current?.pid;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = await this.#worker?.catch(() => undefined);
    await worker?.close(CLOSE_GRACE_MS);
  }

  async #predictNow(batch: Frame): Promise<Frame> {
    if (this.#closed) throw new UnavailableError('the model is being unloaded');
    // A request queued behind one that failed with its worker may run before `ended` told #onEnded.
    if (this.#current?.hasEnded === true) this.#onEnded(this.#current);
    const worker = await (this.#worker ??= this.#restart()).catch((error: unknown) => {
      throw new UnavailableError(`the model's python worker could not be started again: ${(error as Error).message}`);
    });
    const answer = await worker
      .request({ op: 'predict', columns: Object.fromEntries(batch.columns), rows: batch.rows })
      .catch((error: unknown) => {
        if (!(error instanceof WorkerExitedError)) throw error;
        throw new UnavailableError(`the model's python worker ${error.why} while answering; a new one is loading`);
      });
    // As MLflow's scoring server does, an exception in the model's predict is the request's fault (a batch the
    // model cannot take), answered with 400 and the exception; its traceback is in the server's log.
    if (!answer.ok) {
      throw new InvalidInputError(`the model raised ${answer.error.type}: ${answer.error.message}`, {
        hint: 'Send rows like those the model was trained on.',
      });
    }
    return predictionFrame(answer.columns, batch.rows, this.#outputs);
  }

  #adopt(worker: PythonWorker): PythonWorker {
    this.#current = worker;
    void worker.ended.then(() => this.#onEnded(worker));
    return worker;
  }

  /** A worker that died is replaced at once, so the next request does not wait for the model to load. */
  #onEnded(worker: PythonWorker): void {
    if (this.#current !== worker) return;
    this.#current = undefined;
    if (this.#closed) return;
    this.#options.log(`the worker ended; starting another`, worker.pid);
    this.#worker = this.#restart();
  }

  #restart(): Promise<PythonWorker> {
    const starting = startLoaded(this.#options, this.#model).then(
      (worker) => this.#adopt(worker),
      (error: unknown) => {
        // One attempt per crash, not a loop: a model that no longer loads is retried by the next request.
        if (this.#worker === starting) this.#worker = undefined;
        this.#options.log(`restarting failed: ${(error as Error).message}`, undefined);
        throw error;
      },
    );
    starting.catch(() => undefined);
    return starting;
  }
}

/** A worker with the model loaded; a load that fails is an InvalidInputError a deployment can show. */
async function startLoaded(options: WorkerOptions, model: ServablePackage): Promise<PythonWorker> {
  const worker = new PythonWorker(options);
  const request = { op: 'load', folder: model.folder, flavor: model.flavor } as const;
  const answer = await worker
    .request(model.entry === undefined ? request : { ...request, entry: model.entry })
    .catch((error: unknown) => {
      if (!(error instanceof WorkerExitedError)) throw error;
      const said = lastLines(error.stderrTail);
      throw new InvalidInputError(
        `the model could not be loaded: the python worker ${error.why}${said === '' ? '' : `; it said: ${said}`}`,
        { where: 'runtime', hint: PYTHON_HINT },
      );
    });
  if (answer.ok) return worker;
  await worker.close(CLOSE_GRACE_MS);
  throw new InvalidInputError(`the model could not be loaded: ${answer.error.type}: ${answer.error.message}`, {
    where: model.entry ?? (model.flavor.startsWith('mlflow:') ? 'MLmodel' : 'model.pkl'),
    hint: PYTHON_HINT,
  });
}

const PYTHON_HINT =
  'The python runtime loads scikit-learn pickles with the interpreter CICLO_PYTHON names (default /usr/bin/python3): ' +
  'it must import the modules the pickle names, in versions that read it (docs/serving.md).';

/** The end of what a worker wrote before it died (a native crash, an interpreter without numpy), kept short. */
function lastLines(text: string): string {
  return text.trim().split('\n').slice(-8).join('\n').slice(-1000);
}

function writeToStderr(entry: PythonWorkerLogLine): void {
  process.stderr.write(`python worker ${entry.pid ?? '-'} (${entry.folder}): ${entry.line}\n`);
}
