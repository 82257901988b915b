import { spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvalidInputError } from '../../common/errors.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from '../../common/private-files.js';
import type { StepRuntimeRegistry } from '../kinds/registry.js';
import type { ProcessSpec } from '../kinds/runtime.js';
import { renderTemplate } from '../definition/templates.js';
import { InFlightSteps } from './in-flight.js';
import { failureWithOutput, outputTail } from './output-tail.js';
import type { Executor, RunOptions, StepJob, StepProcessInfo, StepResult } from './types.js';

export interface LocalExecutorOptions {
  /** The kinds it can run: the composition root's (src/app/step-kinds.ts), which knows every kind and its runner. */
  runtimes: StepRuntimeRegistry;
  /** How long a step has between SIGTERM and SIGKILL when it times out or is cancelled. */
  killGraceMs?: number;
}

type Outcome = Omit<StepResult, 'durationMs'>;

/**
 * Runs each step as a child process of this one, without a shell, in a process group of its own so
 * that ending the step ends everything it started.
 */
export class LocalExecutor implements Executor {
  readonly #runtimes: StepRuntimeRegistry;
  readonly #killGraceMs: number;
  readonly #inFlight = new InFlightSteps('local');

  constructor(options: LocalExecutorOptions) {
    this.#runtimes = options.runtimes;
    this.#killGraceMs = options.killGraceMs ?? 5000;
  }

  async run(job: StepJob, options: RunOptions): Promise<StepResult> {
    const signal = this.#inFlight.signalFor(options.signal);
    const env = stepEnvironment(job);
    const spec = this.#runtimes.get(job.kind).prepare(job, env);
    return this.#inFlight.track(this.#execute(job, spec, env, signal, options.onStart));
  }

  /** Cancels the steps still running and waits for them to end. */
  async close(): Promise<void> {
    await this.#inFlight.close();
  }

  async #execute(
    job: StepJob,
    spec: ProcessSpec,
    env: Record<string, string>,
    signal: AbortSignal,
    onStart: ((info: StepProcessInfo) => void) | undefined,
  ): Promise<StepResult> {
    const started = performance.now();
    const finished = (outcome: Outcome): StepResult => ({ ...outcome, durationMs: performance.now() - started });
    await makePrivateDir(job.outputDir);
    await makePrivateDir(path.dirname(job.logFile));
    const cwd = path.resolve(job.workDir, spec.cwd ?? '.');
    // spawn reports a missing cwd as ENOENT of the executable, which would blame the wrong thing.
    if (!(await isDirectory(cwd))) return finished(failure(`working directory not found: ${cwd}`));
    if (signal.aborted) return finished(cancelled());
    // The child writes to the log file itself: nothing passes through this process, so a step that
    // prints gigabytes costs no memory here, and output is not lost if this process dies.
    const log = await open(job.logFile, 'a', PRIVATE_FILE_MODE);
    let outcome: Outcome;
    let attemptStart: number;
    try {
      attemptStart = (await log.stat()).size;
      outcome = await this.#spawn(spec, { cwd, env, logFd: log.fd, timeoutMs: job.timeoutMs, signal, onStart });
    } finally {
      await log.close();
    }
    if (outcome.status !== 'failed' || outcome.exitCode === null) return finished(outcome);
    return finished({
      ...outcome,
      error: failureWithOutput(outcome.error ?? 'failed', await outputTail(job.logFile, attemptStart)),
    });
  }

  #spawn(
    spec: ProcessSpec,
    options: {
      cwd: string;
      env: Record<string, string>;
      logFd: number;
      timeoutMs?: number;
      signal: AbortSignal;
      onStart: ((info: StepProcessInfo) => void) | undefined;
    },
  ): Promise<Outcome> {
    return new Promise((resolve) => {
      const child = spawn(spec.executable, spec.args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', options.logFd, options.logFd],
        detached: true,
      });
      if (child.pid !== undefined) options.onStart?.({ pid: child.pid, host: hostname() });
      let ending: { status: 'timed_out' | 'cancelled'; error: string } | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const terminate = (status: 'timed_out' | 'cancelled', error: string) => {
        if (ending) return;
        ending = { status, error };
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), this.#killGraceMs);
      };
      const timeout =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => terminate('timed_out', `timed out after ${options.timeoutMs} ms`), options.timeoutMs);
      const onAbort = () => terminate('cancelled', 'cancelled');
      options.signal.addEventListener('abort', onAbort, { once: true });
      // An abort while the log file was being opened has fired already: the listener would never run.
      if (options.signal.aborted) onAbort();

      let settled = false;
      const settle = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        clearTimeout(killTimer);
        options.signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      child.once('error', (error: NodeJS.ErrnoException) => settle(failure(spawnErrorMessage(error, spec))));
      child.once('exit', (exitCode, signal) => {
        // A step owns everything it started: whatever it left running in its group goes with it.
        killGroup(child.pid, 'SIGKILL');
        if (ending) settle({ status: ending.status, exitCode, signal, error: ending.error });
        else if (exitCode === 0) settle({ status: 'succeeded', exitCode, signal: null });
        else if (exitCode !== null) settle({ ...failure(`exited with code ${exitCode}`), exitCode });
        else settle({ ...failure(`killed by ${signal}`), signal });
      });
    });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already, which is what we wanted; EPERM: the id is no longer ours.
  }
}

function failure(error: string): Outcome {
  return { status: 'failed', exitCode: null, signal: null, error };
}

function cancelled(): Outcome {
  return { status: 'cancelled', exitCode: null, signal: null, error: 'cancelled' };
}

function spawnErrorMessage(error: NodeJS.ErrnoException, spec: ProcessSpec): string {
  if (error.code === 'ENOENT') return `executable not found: ${spec.executable}`;
  if (error.code === 'EACCES') return `executable not permitted: ${spec.executable}`;
  return `could not start ${spec.executable}: ${error.message}`;
}

async function isDirectory(folder: string): Promise<boolean> {
  try {
    return (await stat(folder)).isDirectory();
  } catch {
    return false;
  }
}

/** This process's environment, the job's variables, then Ciclo's, which nothing may override. */
export function stepEnvironment(job: StepJob): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  Object.assign(env, job.storeEnv);
  for (const [name, value] of Object.entries(job.env)) env[name] = renderTemplate(value, job);
  env.CICLO_RUN_ID = job.stepRunId;
  env.CICLO_OUTPUT_DIR = job.outputDir;
  if (job.trackingUri !== undefined) env.CICLO_TRACKING_URI = job.trackingUri;
  if (job.trackingToken !== undefined) env.CICLO_TOKEN = job.trackingToken;
  Object.assign(env, namedVariables('CICLO_INPUT_', job.inputs), namedVariables('CICLO_PARAM_', job.params));
  return env;
}

function namedVariables(prefix: string, values: Record<string, unknown>): Record<string, string> {
  const variables: Record<string, string> = {};
  const owners = new Map<string, string>();
  for (const [name, value] of Object.entries(values)) {
    const variable = prefix + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
    const owner = owners.get(variable);
    if (owner !== undefined) {
      throw new InvalidInputError(`"${owner}" and "${name}" would both be passed as ${variable}`, {
        hint: 'rename one of them',
      });
    }
    owners.set(variable, name);
    variables[variable] = String(value);
  }
  return variables;
}
