import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256Digest, sha256DigestOfFile } from '../artifacts/index.js';

/**
 * `sha256:` of what a path holds: a file's bytes, or for a folder every file's relative path and
 * digest in sorted order, so renaming a file inside it changes the digest too. Content only: times
 * and modes are ignored, so the same outputs from another run give the same digest.
 */
export async function digestPath(target: string): Promise<string> {
  const info = await stat(target);
  if (info.isFile()) return sha256DigestOfFile(target);
  const files = (await readdir(target, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  const listing: string[] = [];
  for (const file of files.sort()) {
    const relative = path.relative(target, file).split(path.sep).join('/');
    listing.push(`${relative}\t${await sha256DigestOfFile(file)}`);
  }
  return sha256Digest(listing.join('\n'));
}
