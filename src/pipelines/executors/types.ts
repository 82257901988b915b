import type { ParamValue } from '../definition/definition.js';

/**
 * One execution of one step, as the scheduler decided it: everything is resolved (params, input
 * paths, where to write) so an executor only runs it and reports back. It is plain data so it can
 * travel through a queue to another machine unchanged.
 */
export interface StepJob {
  pipelineRunId: string;
  /** The tracked run of this execution (child of the pipeline run); the step sees it as `CICLO_RUN_ID`. */
  stepRunId: string;
  stepName: string;
  /** 1 for the first execution, 2 for the first retry, … */
  attempt: number;
  kind: string;
  /** The compiled step's kind config (`StepDefinition.config`). */
  config: Record<string, unknown>;
  /** Resolved param values. */
  params: Record<string, ParamValue>;
  /** Input name → local path of the upstream output. */
  inputs: Record<string, string>;
  /** Output name → local path the step writes it to (inside `outputDir`). */
  outputs: Record<string, string>;
  /** Created before the step starts; the step sees it as `CICLO_OUTPUT_DIR`. */
  outputDir: string;
  /** The pipeline's folder: the working directory, and what a relative `cwd` or module is relative to. */
  workDir: string;
  /** stdout and stderr are appended here, byte for byte. */
  logFile: string;
  /** Extra environment variables; may use `${params.x}`, `${inputs.x}`, `${outputs.x}`. */
  env: Record<string, string>;
  timeoutMs?: number;
  trackingUri?: string;
  /** Sent as CICLO_TOKEN: a token of the server that started the run, for its authentication. */
  trackingToken?: string;
  /**
   * Variables that point the step's SDK at the orchestrator's store (`configEnvironment`); the step's own `env` wins.
   */
  storeEnv?: Record<string, string>;
}

export type StepStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

export interface StepResult {
  status: StepStatus;
  /** null when the process never started or was ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  error?: string;
}

/**
 * Runs step jobs somewhere: child processes on this machine (`LocalExecutor`) or workers behind a
 * queue. It never decides what runs next, retries or records state; the scheduler does.
 */
/** Where a step's process runs, reported once it has started. */
export interface StepProcessInfo {
  pid: number;
  host: string;
  /** The worker that took the job (`host:pid`), for queue executors. */
  worker?: string;
}

export interface RunOptions {
  /** Aborting ends the step (SIGTERM, then SIGKILL) and resolves with `cancelled`. */
  signal: AbortSignal;
  /** Called when the step's process has started, so the scheduler can record it. */
  onStart?: (info: StepProcessInfo) => void;
}

export interface Executor {
  /** Resolves with the outcome of the step; rejects only for a job that could not be started as given. */
  run(job: StepJob, options: RunOptions): Promise<StepResult>;
  close(): Promise<void>;
}
