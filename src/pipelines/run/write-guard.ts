import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Steps may write only into their output folder: what they write elsewhere is neither recorded,
 * cached nor traced. Without a sandbox the scheduler cannot stop such writes, but it can see them
 * afterwards in the pipeline folder (a snapshot of sizes and modification times before and after)
 * and fail the step with the paths, leaving the files where they are.
 */

/** Folders steps legitimately write to as a side effect (interpreter caches) or that are not the pipeline's. */
const SKIPPED = new Set(['node_modules', '__pycache__']);
/** Beyond this many entries the folder is too large to snapshot around every step; the check is skipped. */
const MAX_ENTRIES = 10_000;

export type FolderSnapshot = Map<string, string>;

/** Relative path → `size:mtime` of every file under `folder`, or undefined when there are too many. */
export async function snapshotFolder(folder: string, exclude: readonly string[]): Promise<FolderSnapshot | undefined> {
  const snapshot: FolderSnapshot = new Map();
  const excluded = new Set(exclude.map((entry) => path.resolve(entry)));
  const pending = [folder];
  let seen = 0;
  while (pending.length > 0) {
    const current = pending.pop()!;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      seen += 1;
      if (seen > MAX_ENTRIES) return undefined;
      // Dot folders (.git, .ciclo, caches) are tools' state, not the pipeline's files.
      if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
      const full = path.join(current, entry.name);
      if (excluded.has(full)) continue;
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        const info = await stat(full).catch(() => undefined);
        if (info) snapshot.set(path.relative(folder, full), `${info.size}:${info.mtimeMs}`);
      }
    }
  }
  return snapshot;
}

/** Files created or changed between two snapshots, sorted. */
export function changedFiles(before: FolderSnapshot, after: FolderSnapshot): string[] {
  const changed: string[] = [];
  for (const [file, signature] of after) if (before.get(file) !== signature) changed.push(file);
  return changed.sort();
}

/**
 * Sizes and modification times of what an input path holds, to see whether a step changed its
 * inputs without hashing them again; undefined for a path that does not exist.
 */
export async function inputSignature(target: string): Promise<string | undefined> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return undefined;
  if (info.isFile()) return `${info.size}:${info.mtimeMs}`;
  const snapshot = await snapshotFolder(target, []);
  return snapshot === undefined ? undefined : JSON.stringify([...snapshot].sort());
}
