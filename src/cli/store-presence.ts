import type { Command } from 'commander';
import { hasNoStore, loadConfig, noStoreError } from '../common/config.js';

/**
 * The commands that may make a new embedded store where none is found: those that put the first
 * things in one. Every other command needs one to exist (default deny): a read in the wrong folder
 * says so, instead of answering "No runs." from a store it has just made there.
 */
const CREATES_STORE = new Set([
  'quickstart',
  'server',
  'db migrate',
  'pipeline run',
  'data register',
  'experiments create',
  'users create',
  'projects create',
  'apply',
]);

/**
 * Commands that open no store, or only for some inputs: they read files, or only check them. Feature views
 * whose source is a dataset open one to resolve it, and say so there when there is none (openViewFileFeatures).
 */
const OPENS_NO_STORE = new Set(['evaluate', 'features validate', 'features get-historical', 'init']);

/** Commands (and groups of them) that speak to a tracking server instead when CICLO_TRACKING_URI is set. */
const SERVER_COMMANDS = ['runs', 'experiments', 'artifacts', 'features get-online'];

/**
 * Run before a command's action: refuses a command that needs a store when there is none in the
 * current folder or above it (and CICLO_HOME is unset), and says where a command that may make one
 * is about to. A PostgreSQL store (CICLO_DATABASE_URL) is always there.
 */
export function checkStorePresence(action: Command): void {
  const path = commandPath(action);
  if (OPENS_NO_STORE.has(path)) return;
  const config = loadConfig();
  if (!hasNoStore(config)) return;
  const toServer = SERVER_COMMANDS.some((command) => path === command || path.startsWith(`${command} `));
  if (config.trackingUri !== undefined && toServer) return;
  if (CREATES_STORE.has(path)) {
    process.stderr.write(`No Ciclo store here or above: creating one in ${config.home}\n`);
    return;
  }
  throw noStoreError();
}

/** `models policy set` for the action's command: its names up to, not including, the program. */
function commandPath(action: Command): string {
  const names: string[] = [];
  for (let command: Command | null = action; command?.parent; command = command.parent) names.unshift(command.name());
  return names.join(' ');
}
