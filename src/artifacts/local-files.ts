import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InvalidInputError } from '../common/errors.js';

/** A regular file found under a local folder, with its path relative to that folder in `/` form. */
export interface LocalFile {
  file: string;
  relativePath: string;
}

/**
 * Every regular file under `dir`, sorted. Symbolic links are refused rather than followed: following
 * one could upload files from outside the folder the user named, or loop forever.
 */
export async function listLocalFiles(dir: string): Promise<LocalFile[]> {
  await assertKind(dir, 'directory');
  const files: LocalFile[] = [];
  await walk(dir, dir, files);
  return files.sort((a, b) => compare(a.relativePath, b.relativePath));
}

/** Refuses anything but a regular file (a link, a folder, a device) before it is read. */
export async function assertRegularFile(file: string): Promise<void> {
  await assertKind(file, 'file');
}

async function walk(root: string, dir: string, files: LocalFile[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isSymbolicLink()) throw symlinkRefused(full);
    if (entry.isDirectory()) await walk(root, full, files);
    else if (entry.isFile()) files.push({ file: full, relativePath: relative(root, full).split(sep).join('/') });
    else throw notRegular(full, 'file');
  }
}

async function assertKind(path: string, kind: 'file' | 'directory'): Promise<void> {
  const stats = await lstat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new InvalidInputError(`Local ${kind} ${JSON.stringify(path)} does not exist`, {
      where: path,
      hint: `Check the ${kind} path.`,
    });
  });
  if (stats.isSymbolicLink()) throw symlinkRefused(path);
  if (kind === 'file' ? !stats.isFile() : !stats.isDirectory()) throw notRegular(path, kind);
}

function symlinkRefused(path: string): InvalidInputError {
  return new InvalidInputError(`Refusing to follow the symbolic link ${JSON.stringify(path)}`, {
    where: path,
    hint: 'Replace the link with a copy of its target, or log the target itself.',
  });
}

function notRegular(path: string, kind: 'file' | 'directory'): InvalidInputError {
  return new InvalidInputError(`${JSON.stringify(path)} is not a regular ${kind}`, {
    where: path,
    hint: `Give a path to a ${kind}.`,
  });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
