import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidStateError } from '../../common/errors.js';
import type { ParamValue } from '../definition/definition.js';
import { TsConfigSchema } from '../definition/step-kinds.js';
import { renderTemplate } from '../definition/templates.js';
import { parseKindConfig, type StepRuntime } from './runtime.js';

/** What a `ts` step's exported function is called with (the SDK's `StepRunContext` adds its tracked run). */
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

const TYPESCRIPT_MODULE = /\.[cm]?ts$/;

/**
 * A `ts` step: an exported function of a TypeScript or JavaScript module, in its own Node process, `runner` (the ts
 * step process, src/runners/ts-step.ts, compiled: a checkout that was not built is told so before anything starts),
 * which gives the function this context and its tracked run.
 */
export function tsRuntime(runner: string): StepRuntime {
  return {
    prepare(job) {
      const config = parseKindConfig(TsConfigSchema, job);
      const module = path.resolve(job.workDir, renderTemplate(config.module, job));
      if (!existsSync(runner)) {
        throw new InvalidStateError(`the ts step runner is missing at ${runner}`, { hint: 'run npm run build' });
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
      const args = [...loader, runner, module, config.export, JSON.stringify(context)];
      return { executable: process.execPath, args };
    },
  };
}

/**
 * `--import tsx` would be resolved from the step's working directory, which need not have tsx
 * installed; Ciclo's own copy is passed by URL instead.
 */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}
