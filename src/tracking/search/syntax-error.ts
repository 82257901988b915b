import { InvalidInputError } from '../../common/errors.js';

/**
 * The text being parsed and how to name it in an error: a filter reports `filter column N`, an
 * order_by entry reports `order_by[i]`. Both point at a 1-based column under the text.
 */
export interface SearchText {
  readonly text: string;
  /** How the message names the input: `filter`, `order_by[2]`. */
  readonly label: string;
  /** How the message names the end of the input: `the end of the filter`. */
  readonly end: string;
  /** `details.where` for a problem at a column. */
  where(column: number): string;
}

export function filterText(text: string): SearchText {
  return { text, label: 'filter', end: 'the end of the filter', where: (column) => `filter column ${column}` };
}

export function orderByText(text: string, index: number): SearchText {
  const label = `order_by[${index}]`;
  return { text, label, end: `the end of ${label}`, where: () => label };
}

/**
 * An InvalidInputError whose message names the problem and the column and shows the text with a
 * caret under it, so a person can see the mistake without counting characters.
 */
export function syntaxError(source: SearchText, column: number, problem: string, hint: string): InvalidInputError {
  const message = `invalid ${source.label} at column ${column}: ${problem}\n${caretDisplay(source.text, column)}`;
  return new InvalidInputError(message, { where: source.where(column), hint });
}

function caretDisplay(text: string, column: number): string {
  // Line breaks and tabs become single spaces so the caret stays under the right character.
  const line = text.replace(/[\t\n\r]/g, ' ');
  return `  ${line}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}
