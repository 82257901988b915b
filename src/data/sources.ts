import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { cellText, formatOf, sqlString, type DataEngine, type DataFormat } from './duckdb.js';

/** One file of what is being registered: where it is now, and its path inside the version. */
export interface SourceFile {
  /** Relative to the folder, the glob's fixed prefix, or just the file's name; `/`-separated. */
  path: string;
  file: string;
  sizeBytes: number;
  /** How errors name the file, when `file` is a copy (see `withoutLeadingRows`); default `file`. */
  shownAs?: string;
  /** Lines of the original above the copy's first line: added to the line numbers errors give. */
  lineOffset?: number;
}

export interface Source {
  format: DataFormat;
  /** Sorted by `path`. */
  files: SourceFile[];
}

const GLOB_CHARS = /[*?[{]/;

/**
 * The files a registration path names: a file, every data file under a folder (recursive; other
 * files such as a README are left out), or a glob (DuckDB's `glob()`: Node 20 has no
 * `fs.promises.glob`). All must be of one format and none may be empty.
 */
export async function discoverSource(target: string, engine: DataEngine): Promise<Source> {
  const files = GLOB_CHARS.test(target) ? await globFiles(target, engine) : await pathFiles(target);
  const format = oneFormat(files, target);
  for (const file of files) {
    if (file.sizeBytes === 0) {
      throw new InvalidInputError(`${file.file} is empty (0 bytes)`, {
        where: file.file,
        hint:
          'a data file needs at least a header and one row (CSV), or rows (Parquet, JSON Lines); ' +
          'remove it or fill it',
      });
    }
  }
  return { format, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

async function pathFiles(target: string): Promise<SourceFile[]> {
  const absolute = path.resolve(target);
  const info = await stat(absolute).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`${target} does not exist`, {
        where: target,
        hint: 'give a data file, a folder of data files or a glob',
      });
    }
    throw error;
  });
  if (info.isFile()) return [{ path: path.basename(absolute), file: absolute, sizeBytes: info.size }];
  if (!info.isDirectory()) throw new InvalidInputError(`${target} is neither a file nor a folder`, { where: target });
  const entries = await readdir(absolute, { recursive: true, withFileTypes: true });
  const files: SourceFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !isDataFile(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(absolute, file).split(path.sep);
    // Hidden files and folders (.git, .DS_Store, editor swap files) are never data.
    if (relative.some((part) => part.startsWith('.'))) continue;
    files.push({ path: relative.join('/'), file, sizeBytes: (await stat(file)).size });
  }
  if (files.length === 0) {
    throw new InvalidInputError(`${target} holds no data files`, {
      where: target,
      hint: 'data files end in .csv, .parquet (.pq) or .jsonl (.ndjson, .json)',
    });
  }
  return files;
}

async function globFiles(pattern: string, engine: DataEngine): Promise<SourceFile[]> {
  const absolute = path.resolve(pattern);
  const rows = await engine.all(`SELECT file FROM glob(${sqlString(absolute)}) ORDER BY file`);
  if (rows.length === 0) {
    throw new NotFoundError(`no file matches ${pattern}`, {
      where: pattern,
      hint: 'check the pattern; `**` matches folders at any depth',
    });
  }
  const base = globBase(absolute);
  const files: SourceFile[] = [];
  for (const row of rows) {
    const file = cellText(row.file);
    const info = await stat(file);
    if (!info.isFile()) continue;
    const relative = path.relative(base, file).split(path.sep);
    // As a shell's `*` does: hidden files and folders match only a pattern that names them.
    if (relative.some((part) => part.startsWith('.') && !pattern.includes(`${path.sep}.`))) continue;
    formatOf(file);
    files.push({ path: relative.join('/'), file, sizeBytes: info.size });
  }
  if (files.length === 0) throw new NotFoundError(`no data file matches ${pattern}`, { where: pattern });
  return files;
}

/** The folder before the first segment holding a wildcard: what the version's paths are relative to. */
function globBase(pattern: string): string {
  const parts = pattern.split(path.sep);
  const fixed = parts.findIndex((part) => GLOB_CHARS.test(part));
  return parts.slice(0, fixed).join(path.sep) || path.sep;
}

function isDataFile(name: string): boolean {
  try {
    formatOf(name);
    return true;
  } catch {
    return false;
  }
}

function oneFormat(files: readonly SourceFile[], target: string): DataFormat {
  const byFormat = new Map<DataFormat, string[]>();
  for (const file of files) {
    const format = formatOf(file.file);
    byFormat.set(format, [...(byFormat.get(format) ?? []), file.path]);
  }
  if (byFormat.size > 1) {
    const examples = [...byFormat].map(
      ([format, paths]) => `${format} (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''})`,
    );
    throw new InvalidInputError(`${target} mixes formats: ${examples.join('; ')}`, {
      where: target,
      hint: 'a dataset version has one format: register each format as its own dataset, or narrow the path with a glob',
    });
  }
  return [...byFormat.keys()][0]!;
}
