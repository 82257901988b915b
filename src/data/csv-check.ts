import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { InvalidInputError } from '../common/errors.js';
import { sqlIdentifier, sqlString, type DataEngine } from './duckdb.js';

const HEADER_READ_LIMIT = 1024 * 1024;
const SHOWN_REJECTS = 5;

/**
 * Checks that a CSV file is well formed and returns its row count. DuckDB's sniffer, given a ragged
 * or badly quoted file, fails with a generic "could not detect the dialect" and no line. So the
 * header is read here, and the file is scanned once with auto-detection off (every column VARCHAR,
 * the same strict dialect as `readFilesSql`) and rejects stored: DuckDB then records each bad line
 * (`line`, `error_type`, `csv_line`) in a temp table instead of failing, which becomes `file:line`.
 */
export async function checkCsvFile(
  engine: DataEngine,
  file: string,
  shownAs: string = file,
  lineOffset = 0,
): Promise<number> {
  const header = await readHeader(file, shownAs, lineOffset);
  // Only the count of fields matters to the check; placeholder names avoid DuckDB refusing duplicates or blanks here.
  const columns = `{${header.map((_, i) => `${sqlString(`c${i}`)}: 'VARCHAR'`).join(', ')}}`;
  const suffix = randomUUID().replaceAll('-', '');
  const rejectsTable = `ciclo_rejects_${suffix}`;
  const rejectsScan = `ciclo_rejects_scan_${suffix}`;
  try {
    const [counted] = await engine.all(
      `SELECT count(*) AS n FROM read_csv(${sqlString(file)}, ` +
        `auto_detect = false, header = true, delim = ',', quote = '"', escape = '"', columns = ${columns}, ` +
        `store_rejects = true, rejects_table = ${sqlString(rejectsTable)}, rejects_scan = ${sqlString(rejectsScan)})`,
    );
    // DuckDB stores a reject per error, and a line can have several (each field past the header's count): a line is
    // shown and counted once, with its first error.
    const rejects = await engine.all(
      `SELECT line, arg_min(error_type, column_idx) AS error_type, any_value(csv_line) AS csv_line, ` +
        `arg_min(error_message, column_idx) AS error_message, count(*) OVER () AS total ` +
        `FROM ${sqlIdentifier(rejectsTable)} GROUP BY line ORDER BY line LIMIT ${SHOWN_REJECTS}`,
    );
    if (rejects.length > 0) throw rejectedLines(shownAs, rejects, lineOffset);
    const rows = Number(counted?.n ?? 0);
    if (rows === 0) {
      throw new InvalidInputError(`${shownAs} has a header and no rows`, {
        where: `${shownAs}:${1 + lineOffset}`,
        hint: 'a CSV file of a dataset needs at least one row: without rows its column types cannot be told',
      });
    }
    return rows;
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${sqlIdentifier(rejectsTable)}`);
    await engine.run(`DROP TABLE IF EXISTS ${sqlIdentifier(rejectsScan)}`);
  }
}

function rejectedLines(
  shownAs: string,
  rejects: ReadonlyArray<Record<string, unknown>>,
  lineOffset: number,
): InvalidInputError {
  const first = rejects[0]!;
  const total = Number(first.total);
  const lines = rejects.map(
    (reject) =>
      `${shownAs}:${Number(reject.line) + lineOffset}: ${String(reject.error_message)} ` +
      `(${String(reject.error_type)}): ${clip(String(reject.csv_line))}`,
  );
  const more = total > rejects.length ? `\n… and ${total - rejects.length} more bad lines` : '';
  return new InvalidInputError(`malformed CSV:\n${lines.join('\n')}${more}`, {
    where: `${shownAs}:${Number(first.line) + lineOffset}`,
    hint:
      'every row needs as many fields as the header, separated by commas; ' +
      'a field holding a comma, a quote or a newline is enclosed in "…", with quotes inside doubled ("")',
  });
}

function clip(text: string): string {
  const oneLine = text.replace(/\r?\n/g, '\\n');
  return oneLine.length > 120 ? `${oneLine.slice(0, 120)}…` : oneLine;
}

/** The header's fields (RFC 4180: commas, double quotes doubled inside quoted fields), BOM dropped. */
async function readHeader(file: string, shownAs: string, lineOffset: number): Promise<string[]> {
  const handle = await open(file, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(HEADER_READ_LIMIT);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_READ_LIMIT, 0);
    text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char !== '"') field += char;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      fields.push(field);
      return fields;
    } else field += char;
  }
  if (quoted || text.length === HEADER_READ_LIMIT) {
    throw new InvalidInputError(`${shownAs}: the header never ends${quoted ? ' (a quote is not closed)' : ''}`, {
      where: `${shownAs}:${1 + lineOffset}`,
      hint: 'the first line of a CSV file names its columns, separated by commas',
    });
  }
  fields.push(field);
  return fields;
}
