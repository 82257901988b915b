import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../common/errors.js';

const PIPELINE_FILES = ['pipeline.yaml', 'pipeline.yml'];
/** Deep enough for `pipelines/<team>/<name>/pipeline.yaml`; bounded so `--pipelines /` stays cheap. */
const MAX_DEPTH = 4;
const SKIPPED = new Set(['node_modules', 'dist']);

/**
 * The pipeline files `--pipelines` (or CICLO_PIPELINES) names: a file as is; a folder holding
 * pipeline.yaml means that file; any other folder is searched below for folders that hold one
 * (hidden folders and node_modules skipped). Sorted, without duplicates.
 */
export async function findPipelineFiles(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const given of paths) {
    const resolved = path.resolve(given);
    const info = await stat(resolved).catch(() => undefined);
    if (!info)
      throw new NotFoundError(`pipeline path ${given} does not exist`, {
        where: given,
        hint: 'check --pipelines or CICLO_PIPELINES',
      });
    if (info.isFile()) found.add(resolved);
    else for (const file of await searchFolder(resolved, 0)) found.add(file);
  }
  return [...found].sort();
}

async function searchFolder(folder: string, depth: number): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const own = PIPELINE_FILES.find((name) => entries.some((entry) => entry.isFile() && entry.name === name));
  if (own) return [path.join(folder, own)];
  if (depth >= MAX_DEPTH) return [];
  const found: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    found.push(...(await searchFolder(path.join(folder, entry.name), depth + 1)));
  }
  return found;
}
