import type { Cell } from '../duckdb.js';
import type { ExpectationResult, SuiteReport } from './run.js';

/**
 * A report for people: one line per expectation (✓ passed, ✗ failed error, ! failed warning) with
 * its failing row count and what was observed, the samples of failures under it, then the verdict.
 */
export function renderReportText(report: SuiteReport): string {
  const header = ['', 'expectation', 'kind', 'column', 'failing', 'observed'];
  const rows = report.results.map((result) => [
    mark(result),
    result.name,
    result.kind,
    result.column ?? '',
    result.failingRows === undefined ? '' : String(result.failingRows),
    [result.observed === undefined ? '' : inline(result.observed), result.note ?? ''].filter(Boolean).join('; '),
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === 4 ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  const out = [`suite ${report.suite}`, line(header)];
  for (const [index, result] of report.results.entries()) {
    out.push(line(rows[index]!));
    for (const sample of result.samples) out.push(`    ${inline(sample)}`);
  }
  const verdict = report.passed ? 'PASSED' : 'FAILED';
  out.push(
    `${verdict}: ${count(report.errors, 'error')}, ${count(report.warnings, 'warning')}, ` +
      `${count(report.results.length, 'expectation')}`,
  );
  return out.join('\n');
}

/** The report as JSON, for machines and for storing as a run artifact. */
export function renderReportJson(report: SuiteReport): string {
  return JSON.stringify(report, null, 2);
}

function mark(result: ExpectationResult): string {
  if (result.passed) return '✓';
  return result.severity === 'warn' ? '!' : '✗';
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `key=value` pairs on one line; nested values as compact JSON. */
function inline(value: Cell): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, entry]) => `${key}=${typeof entry === 'string' ? entry : JSON.stringify(entry)}`)
    .join(' ');
}
