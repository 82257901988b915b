/** Plain-text rendering for people; `--json` output never goes through here. */

export type Align = 'left' | 'right';

/*
 * Characters that make a terminal act instead of show: C0 controls (ESC starts sequences that move
 * the cursor, retitle the window or write the clipboard; CR overwrites the line), DEL, C1 controls
 * (U+009B is a one-character CSI to some terminals) and the bidirectional-text controls (U+202E shows
 * the rest of the line reversed, so `evil\u202eexe.txt` reads as `eviltxt.exe`). Tags, names and
 * descriptions are user text; they reach the screen only as visible escapes. U+2028/U+2029 (line and
 * paragraph separators) are escaped too: some terminals break the line there.
 */

/** In a cell or a label every control is escaped, newline and tab too: a value cannot add a row or shift columns. */
/* eslint-disable no-control-regex -- escaping control characters is the point */
const UNSAFE_IN_CELL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** In free text (messages, multi-line values) newline and tab keep their meaning; the rest is escaped. */
const UNSAFE_IN_TEXT =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\x1b`, `\u202e`, `\n`: how a control character is shown. A backslash stays as it is, so paths read naturally. */
function visibleEscape(char: string): string {
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text safe to write to a terminal, keeping its lines and tabs: what every line of human output passes through. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, visibleEscape);
}

/** One table cell or label: a single line, every control character shown as an escape. */
export function terminalCell(text: string): string {
  return text.replace(UNSAFE_IN_CELL, visibleEscape);
}

/** Columns padded to their widest cell, two spaces apart; headers as given. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const safeHeaders = headers.map(terminalCell);
  const safeRows = rows.map((row) => row.map(terminalCell));
  const widths = safeHeaders.map((header, i) =>
    Math.max(header.length, ...safeRows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    widths
      .map((width, i) => {
        const cell = cells[i] ?? '';
        return align[i] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(safeHeaders), ...safeRows.map(line)].join('\n');
}

/**
 * Label/value pairs, labels aligned: for one record (`runs show`). A multi-line value (a description)
 * keeps its lines, each continued under the value column.
 */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const safeFields = fields.map(([label, value]) => [terminalCell(label), terminalText(value)] as const);
  const width = Math.max(0, ...safeFields.map(([label]) => label.length));
  const continuation = `\n${' '.repeat(width + 2)}`;
  return safeFields
    .map(([label, value]) =>
      `${label.padEnd(width)}  ${value
        .split('\n')
        .map((line) => line.trimEnd())
        .join(continuation)}`.trimEnd(),
    )
    .join('\n');
}

/** Local time to the second: what a person compares with their clock. */
export function formatTime(epochMillis: number | null | undefined): string {
  if (epochMillis === null || epochMillis === undefined) return '-';
  const d = new Date(epochMillis);
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${date} ${time}`;
}

export function formatDuration(millis: number | null | undefined): string {
  if (millis === null || millis === undefined || millis < 0) return '-';
  if (millis < 1000) return `${Math.round(millis)}ms`;
  const seconds = millis / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** Six significant digits: enough to tell runs apart without flooding the table. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
