import { InvalidInputError } from '../common/errors.js';
import { describeType, type ColumnType } from './column-types.js';
import type { Cell, Frame } from './frame.js';

/**
 * Every request is checked against the model's signature before a runtime sees it, so a wrong
 * request is answered with 400 naming the column and the row, never with a runtime's stack. As
 * MLflow's schema enforcement does, columns the signature does not name are dropped (callers send
 * whole records, ids included), and a model without an input signature takes the frame as sent.
 */
export function checkInputs(types: readonly ColumnType[], frame: Frame): Frame {
  if (types.length === 0) return frame;
  const columns = new Map<string, readonly Cell[]>();
  for (const type of types) {
    const cells = frame.columns.get(type.name);
    if (cells === undefined) {
      if (!type.optional) {
        throw new InvalidInputError(`input column '${type.name}' is missing`, {
          where: type.name,
          hint: `Send every column the model's signature requires: ${requiredNames(types)}.`,
        });
      }
      columns.set(type.name, new Array<Cell>(frame.rows).fill(null));
      continue;
    }
    checkColumn(type, cells);
    columns.set(type.name, cells);
  }
  return { rows: frame.rows, columns };
}

function checkColumn(type: ColumnType, cells: readonly Cell[]): void {
  for (let row = 0; row < cells.length; row++) {
    const cell = cells[row]!;
    if (cell === null) {
      if (type.optional) continue;
      throw cellError(type, row, 'is null, but the column is required');
    }
    if (!fits(type, cell, 0)) throw cellError(type, row, `is ${JSON.stringify(cell)}`);
  }
}

/** Whether `cell` has the type's shape from dimension `depth` on, with leaves of its kind. */
function fits(type: ColumnType, cell: Cell, depth: number): boolean {
  if (depth === type.cellShape.length) return leafFits(type, cell);
  if (!Array.isArray(cell)) return false;
  const size = type.cellShape[depth]!;
  if (size !== -1 && cell.length !== size) return false;
  return (cell as readonly Cell[]).every((inner) => fits(type, inner, depth + 1));
}

function leafFits(type: ColumnType, cell: Cell): boolean {
  switch (type.kind) {
    case 'any':
      return !Array.isArray(cell);
    case 'number':
      return typeof cell === 'number';
    case 'integer':
      return Number.isSafeInteger(cell);
    case 'string':
      return typeof cell === 'string';
    case 'boolean':
      return typeof cell === 'boolean';
  }
}

function cellError(type: ColumnType, row: number, what: string): InvalidInputError {
  return new InvalidInputError(`input column '${type.name}', row ${row}: ${truncate(what)}`, {
    where: `${type.name}[${row}]`,
    hint: `Send ${describeType(type)} in column '${type.name}'${type.optional ? ' (or null)' : ''}.`,
  });
}

function requiredNames(types: readonly ColumnType[]): string {
  return types
    .filter((type) => !type.optional)
    .map((type) => type.name)
    .join(', ');
}

/** A cell echoed in an error is cut short: the message must stay readable whatever was sent. */
function truncate(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 117)}...`;
}
