import type { CicloConfig } from '../common/config.js';
import { BaselineService, type BaselineDeps } from '../monitoring/index.js';
import type { ModelVersion } from '../registry/index.js';

/** Levels at which a baseline that could not be recorded (or scored) is worth a line on stderr. */
const WARNING_LEVELS: ReadonlySet<CicloConfig['logLevel']> = new Set(['warn', 'info', 'debug', 'trace']);

/** The baseline service, its failures written to stderr as JSON lines unless the log level hides warnings. */
export function openBaselines(config: CicloConfig, deps: Omit<BaselineDeps, 'log'>): BaselineService {
  const log = WARNING_LEVELS.has(config.logLevel)
    ? (message: string) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg: message })}\n`)
    : undefined;
  return new BaselineService({ ...deps, ...(log === undefined ? {} : { log }) });
}

/**
 * The registry's `onVersionRegistered` hook: every registration path (native REST and CLI, the
 * pipeline `register` step, MLflow's model-versions/create) records the new version's baseline after
 * its transaction has committed, in the background, so registering neither waits on scoring nor fails
 * with it. A process awaits `baselines.settled()` before it exits (the context's `close` does), so a
 * short-lived one (the CLI, the model step process) still stores it.
 */
export function recordBaselineOnRegistration(baselines: () => BaselineService): (version: ModelVersion) => void {
  return (version) => baselines().recordInBackground(version.name, version.version);
}
