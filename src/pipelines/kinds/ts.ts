import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidStateError } from '../../common/errors.js';
import type { ActiveRun } from '../../sdk/index.js';
import type { ParamValue } from '../definition/definition.js';
import { TsConfigSchema } from '../definition/step-kinds.js';
import { renderTemplate } from '../definition/templates.js';
import { parseKindConfig, type StepRuntime } from './runtime.js';

/** What a `ts` step's exported function is called with. */
export interface StepContext {
  params: Record<string, ParamValue>;
  /** Input name → local path. */
  inputs: Record<string, string>;
  /** Output name → the local path to write it to. */
  outputs: Record<string, string>;
  outputDir: string;
  /** The tracked run of this step execution. */
  runId: string;
  trackingUri?: string;
}

/** The context a `ts` step's function receives: the plain data above and its tracked run. */
export interface StepRunContext extends StepContext {
  /**
   * The step's tracked run, for `log({auc})`, `logParams`, `logArtifact`; connects on first call
   * (to CICLO_TRACKING_URI, or the embedded store the pipeline uses) and is flushed when the step returns.
   */
  run(): Promise<ActiveRun>;
}

// The runner must be plain JavaScript so a .js/.mjs step starts without a TypeScript loader; it is
// compiled to dist. `src/pipelines/kinds` and `dist/pipelines/kinds` sit at the same depth, so this
// one URL finds the compiled runner from either (source checkouts need `npm run build` first).
const RUNNER = fileURLToPath(new URL('../../../dist/pipelines/kinds/ts-runner.js', import.meta.url));
const TYPESCRIPT_MODULE = /\.[cm]?ts$/;

/** A `ts` step: an exported function of a TypeScript or JavaScript module, in its own Node process. */
export const tsRuntime: StepRuntime = {
  prepare(job) {
    const config = parseKindConfig(TsConfigSchema, job);
    const module = path.resolve(job.workDir, renderTemplate(config.module, job));
    if (!existsSync(RUNNER)) {
      throw new InvalidStateError(`the ts step runner is missing at ${RUNNER}`, { hint: 'run npm run build' });
    }
    const context: StepContext = {
      params: job.params,
      inputs: job.inputs,
      outputs: job.outputs,
      outputDir: job.outputDir,
      runId: job.stepRunId,
      ...(job.trackingUri === undefined ? {} : { trackingUri: job.trackingUri }),
    };
    const loader = TYPESCRIPT_MODULE.test(module) ? ['--import', tsxLoader()] : [];
    return { executable: process.execPath, args: [...loader, RUNNER, module, config.export, JSON.stringify(context)] };
  },
};

/**
 * `--import tsx` would be resolved from the step's working directory, which need not have tsx
 * installed; Ciclo's own copy is passed by URL instead.
 */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}
