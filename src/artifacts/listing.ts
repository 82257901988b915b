import type { ArtifactEntry } from './types.js';

/**
 * MLflow `artifacts/list` semantics over flat paths: the direct children of `dir` ('' for the root),
 * where a folder exists only because some path runs through it. Sorted by path.
 */
export function directChildren(files: Iterable<{ path: string; sizeBytes: number }>, dir: string): ArtifactEntry[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  // Keyed by kind too: paths are flat keys (as in S3), so "a" can be both a file and a folder.
  const children = new Map<string, ArtifactEntry>();
  for (const { path, sizeBytes } of files) {
    if (!path.startsWith(prefix)) continue;
    const slash = path.indexOf('/', prefix.length);
    if (slash === -1) {
      children.set(`file:${path}`, { path, isDir: false, fileSize: sizeBytes });
    } else {
      const folder = path.slice(0, slash);
      children.set(`dir:${folder}`, { path: folder, isDir: true });
    }
  }
  return [...children.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
