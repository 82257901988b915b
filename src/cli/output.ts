import type { Command } from 'commander';
import { encodeMetricValue } from '../tracking/index.js';

/** Prints `value` as JSON under the global `--json`, otherwise the text `render` makes for people. */
export function emit(command: Command, value: unknown, render: () => string): void {
  process.stdout.write(`${wantsJson(command) ? toJson(value) : render()}\n`);
}

export function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

/** JSON would turn NaN and ±Infinity into null; they are written as the API writes them instead. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? encodeMetricValue(v) : v), 2);
}
