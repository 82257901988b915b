import type { Command } from 'commander';
import { CicloError } from '../common/errors.js';
import { encodeMetricValue } from '../tracking/index.js';
import { terminalText } from './format.js';

/** Prints `value` as JSON under the global `--json`, otherwise the text `render` makes for people. */
export function emit(command: Command, value: unknown, render: () => string): void {
  if (wantsJson(command)) printJson(toJson(value));
  else printText(render());
}

/**
 * Writes text for people to stdout. Every human-readable line the CLI prints leaves through here
 * (or `emit`), so user text (tag keys, names, descriptions) never reaches a terminal as control codes.
 */
export function printText(text: string): void {
  process.stdout.write(`${terminalText(text)}\n`);
}

/** Writes a message for people to stderr (an error, a warning), escaped like `printText`. */
export function printError(text: string): void {
  process.stderr.write(`${terminalText(text)}\n`);
}

/**
 * A failure as a program reads it under `--json`: the shape the REST API answers errors in
 * (`{error_code, message, where?, hint?}`), on stderr, one line.
 */
export function printErrorJson(error: unknown): void {
  const body =
    error instanceof CicloError
      ? { error_code: error.code, message: error.message, ...error.details }
      : { error_code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
  process.stderr.write(`${terminalSafeJson(JSON.stringify(body))}\n`);
}

/** Writes a JSON document to stdout (see `terminalSafeJson`). */
export function printJson(json: string): void {
  process.stdout.write(`${terminalSafeJson(json)}\n`);
}

export function wantsJson(command: Command): boolean {
  return command.optsWithGlobals<{ json?: boolean }>().json === true;
}

/** JSON would turn NaN and ±Infinity into null; they are written as the API writes them instead. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? encodeMetricValue(v) : v),
    2,
  );
}

/**
 * JSON.stringify escapes C0 controls but leaves DEL, C1 and the bidirectional controls raw, and `--json`
 * output is often read in a terminal too. Outside strings JSON is ASCII, so these characters can only
 * sit inside strings, where `\uXXXX` is the same value: a program parses exactly what it did before.
 */
function terminalSafeJson(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
