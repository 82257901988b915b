#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError } from '../common/errors.js';
import { registerAccessCommands } from './access.js';
import { registerAlertsCommand } from './alerts.js';
import { registerMonitorCommands } from './monitor.js';
import { registerArtifactCommands } from './artifacts.js';
import { registerAuditCommands } from './audit.js';
import { registerDataCommands } from './data.js';
import { registerDbCommands } from './db.js';
import { registerDeploymentsCommand } from './deployments.js';
import { EXIT, exitCodeFor } from './exit-code.js';
import { registerEvaluateCommand } from './evaluate.js';
import { registerExperimentCommands } from './experiments.js';
import { registerFeatureCommands } from './features.js';
import { registerFsckCommand } from './fsck.js';
import { registerGcCommand } from './gc.js';
import { registerPipelineCommands } from './pipeline.js';
import { registerQuickstartCommand } from './quickstart.js';
import { registerLineageCommand } from './lineage.js';
import { registerModelCommands } from './models.js';
import { printError, printErrorJson } from './output.js';
import { registerRunCommands } from './runs.js';
import { registerServerCommand } from './server.js';
import { registerServeCommand } from './serve.js';
import { registerWorkerCommand } from './worker.js';

function buildProgram(): Command {
  const program = new Command('ciclo')
    .description('Ciclo: experiment tracking and the MLOps loop, self-hosted')
    .version(packageVersion(), '-V, --version')
    .option('--json', 'print machine-readable JSON instead of tables')
    .showHelpAfterError('(add --help for usage)')
    // Commander would exit by itself; thrown instead, so usage errors get their own exit code.
    .exitOverride();
  registerServerCommand(program);
  registerServeCommand(program);
  registerDbCommands(program);
  registerExperimentCommands(program);
  registerRunCommands(program);
  registerArtifactCommands(program);
  registerPipelineCommands(program);
  registerEvaluateCommand(program);
  registerQuickstartCommand(program);
  registerLineageCommand(program);
  registerDataCommands(program);
  registerWorkerCommand(program);
  registerFeatureCommands(program);
  registerModelCommands(program);
  registerDeploymentsCommand(program);
  registerMonitorCommands(program);
  registerAlertsCommand(program);
  registerAuditCommands(program);
  registerAccessCommands(program);
  registerFsckCommand(program);
  registerGcCommand(program);
  return program;
}

function packageVersion(): string {
  // dist/cli/main.js and src/cli/main.ts both sit two folders below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    // A command that ran but did not succeed (a pipeline run that FAILED) sets its own code.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT.invalidInput;
    // `--json` is a global option: it stands before the command, wherever parsing stopped.
    if (argv.includes('--json')) printErrorJson(error);
    else printError(describeError(error));
    return exitCodeFor(error);
  }
}

process.exitCode = await main(process.argv);
