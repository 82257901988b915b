import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `sha256:` of what a path holds: a file's bytes, or for a folder every file's relative path and
 * digest in sorted order, so renaming a file inside it changes the digest too. Content only: times
 * and modes are ignored, so the same outputs from another run give the same digest.
 */
export async function digestPath(target: string): Promise<string> {
  const info = await stat(target);
  if (info.isFile()) return sha256(await readFile(target));
  const files = (await readdir(target, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const listing: string[] = [];
  for (const file of files.sort()) {
    const relative = path.relative(target, file).split(path.sep).join('/');
    listing.push(`${relative}\t${sha256(await readFile(file))}`);
  }
  return sha256(listing.join('\n'));
}

export function sha256(content: string | Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}
