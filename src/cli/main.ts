#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError } from '../common/errors.js';
import { EXIT, exitCodeFor } from './exit-code.js';
import { printError, printErrorJson } from './output.js';
import { checkStorePresence } from './store-presence.js';
import { packagePath } from '../common/package-files.js';

type Register = (program: Command) => void;

/**
 * Each top-level command and the module that registers it. Only the module of the command given is
 * imported: a module drags in its capability and its libraries (DuckDB, Fastify, BullMQ, ...), and
 * loading every one of them cost ~0.7 s before any command ran. Without a known command (root help,
 * `help`, a typo) every module is loaded, so help and commander's suggestions stay complete.
 */
const COMMAND_MODULES: Readonly<Record<string, () => Promise<Register>>> = {
  server: async () => (await import('./server.js')).registerServerCommand,
  serve: async () => (await import('./serve.js')).registerServeCommand,
  db: async () => (await import('./db.js')).registerDbCommands,
  experiments: async () => (await import('./experiments.js')).registerExperimentCommands,
  runs: async () => (await import('./runs.js')).registerRunCommands,
  artifacts: async () => (await import('./artifacts.js')).registerArtifactCommands,
  pipeline: async () => (await import('./pipeline.js')).registerPipelineCommands,
  evaluate: async () => (await import('./evaluate.js')).registerEvaluateCommand,
  quickstart: async () => (await import('./quickstart.js')).registerQuickstartCommand,
  init: async () => (await import('./init.js')).registerInitCommand,
  lineage: async () => (await import('./lineage.js')).registerLineageCommand,
  data: async () => (await import('./data.js')).registerDataCommands,
  worker: async () => (await import('./worker.js')).registerWorkerCommand,
  features: async () => (await import('./features.js')).registerFeatureCommands,
  models: async () => (await import('./models.js')).registerModelCommands,
  deployments: async () => (await import('./deployments.js')).registerDeploymentsCommand,
  monitor: async () => (await import('./monitor.js')).registerMonitorCommands,
  alerts: async () => (await import('./alerts.js')).registerAlertsCommand,
  audit: async () => (await import('./audit.js')).registerAuditCommands,
  users: async () => (await import('./access.js')).registerUserCommands,
  tokens: async () => (await import('./access.js')).registerTokenCommands,
  projects: async () => (await import('./access.js')).registerProjectCommands,
  fsck: async () => (await import('./fsck.js')).registerFsckCommand,
  gc: async () => (await import('./gc.js')).registerGcCommand,
  plan: async () => (await import('./setup.js')).registerPlanCommand,
  apply: async () => (await import('./setup.js')).registerApplyCommand,
};

async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('ciclo')
    .description('Ciclo: experiment tracking and the MLOps loop, self-hosted')
    .version(packageVersion(), '-V, --version')
    .option('--json', 'print machine-readable JSON instead of tables')
    .showHelpAfterError('(add --help for usage)')
    // Commander would exit by itself; thrown instead, so usage errors get their own exit code.
    .exitOverride()
    .hook('preAction', (_program, action) => checkStorePresence(action));
  const named = COMMAND_MODULES[commandName(argv)];
  const loaders = named === undefined ? Object.values(COMMAND_MODULES) : [named];
  for (const register of await Promise.all(loaders.map((load) => load()))) {
    register(program);
  }
  return program;
}

/** The first word after the global options: `ciclo --json runs list` → `runs`. */
function commandName(argv: readonly string[]): string {
  return argv.slice(2).find((word) => !word.startsWith('-')) ?? '';
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
    // A command that ran but did not succeed (a pipeline run that FAILED) sets its own code.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT.invalidInput;
    // `--json` is a global option: it stands before the command, wherever parsing stopped.
    if (argv.includes('--json')) printErrorJson(error);
    else printError(describeError(error));
    // With `plan --detailed-exitcode`, 2 means "changes": an error is 1, as in terraform.
    if (argv.includes('--detailed-exitcode')) return EXIT.failure;
    return exitCodeFor(error);
  }
}

process.exitCode = await main(process.argv);
