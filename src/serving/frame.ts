/**
 * The batch every runtime takes and gives: rows by column. A column-based signature gives one scalar
 * per row; a tensor column gives each row a nested array (a `[-1, 4]` tensor: four numbers a row).
 */
export type Scalar = number | string | boolean | null;
export type Cell = Scalar | readonly Cell[];

export interface Frame {
  readonly rows: number;
  /** Column name → one cell per row, in the order the columns were declared. */
  readonly columns: ReadonlyMap<string, readonly Cell[]>;
}

export function frameOf(rows: number, columns: Iterable<readonly [string, readonly Cell[]]>): Frame {
  return { rows, columns: new Map(columns) };
}

/** Rows as `{column: cell}` records: MLflow's `dataframe_records` and its multi-output answers. */
export function frameToRecords(frame: Frame): Record<string, Cell>[] {
  const records: Record<string, Cell>[] = [];
  for (let row = 0; row < frame.rows; row++) {
    const record: Record<string, Cell> = {};
    for (const [name, cells] of frame.columns) record[name] = cells[row] ?? null;
    records.push(record);
  }
  return records;
}

/** The frames' rows one after the other; every frame has the same columns (batching joins requests so). */
export function concatFrames(frames: readonly Frame[]): Frame {
  if (frames.length === 1) return frames[0]!;
  const columns = new Map<string, readonly Cell[]>();
  let rows = 0;
  for (const frame of frames) rows += frame.rows;
  for (const name of frames[0]?.columns.keys() ?? []) {
    const joined: Cell[] = [];
    for (const frame of frames) {
      const cells = frame.columns.get(name);
      if (cells !== undefined) for (let row = 0; row < cells.length; row++) joined.push(cells[row]!);
    }
    columns.set(name, joined);
  }
  return { rows, columns };
}

/** Rows `start` (inclusive) to `end` (exclusive): a batched answer handed back to each request. */
export function sliceFrame(frame: Frame, start: number, end: number): Frame {
  if (start === 0 && end === frame.rows) return frame;
  const columns = [...frame.columns].map(([name, cells]): [string, Cell[]] => [name, cells.slice(start, end)]);
  return frameOf(end - start, columns);
}

/** A cell's leaves in row-major order: what a tensor's flat `data` holds. */
export function flattenCell(cell: Cell): Cell[] {
  if (!Array.isArray(cell)) return [cell];
  const leaves: Cell[] = [];
  pushLeaves(cell as readonly Cell[], leaves);
  return leaves;
}

function pushLeaves(cells: readonly Cell[], leaves: Cell[]): void {
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    if (Array.isArray(cell)) pushLeaves(cell as readonly Cell[], leaves);
    else leaves.push(cell);
  }
}

/** The dimensions of a nested cell, read along its first elements: `[]` for a scalar. */
export function cellDims(cell: Cell): number[] {
  const dims: number[] = [];
  for (let at: Cell = cell; Array.isArray(at); at = (at as readonly Cell[])[0] ?? null) {
    dims.push((at as readonly Cell[]).length);
  }
  return dims;
}

/** The cell of `dims` starting at `start` in flat row-major `data`: the inverse of flattenCell. */
export function nestCell<T>(
  data: ArrayLike<T>,
  start: number,
  dims: readonly number[],
  leaf: (value: T) => Cell,
): Cell {
  return nestFrom(data, start, dims, 0, leaf);
}

function nestFrom<T>(
  data: ArrayLike<T>,
  start: number,
  dims: readonly number[],
  depth: number,
  leaf: (value: T) => Cell,
): Cell {
  if (depth === dims.length) return leaf(data[start]!);
  const size = dims[depth]!;
  let step = 1;
  for (let d = depth + 1; d < dims.length; d++) step *= dims[d]!;
  const cell: Cell[] = [];
  for (let i = 0; i < size; i++) cell.push(nestFrom(data, start + i * step, dims, depth + 1, leaf));
  return cell;
}
