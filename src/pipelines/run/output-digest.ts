import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256Digest, sha256DigestOfFile } from '../../artifacts/index.js';

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
  const listing: Array<{ path: string; digest: string }> = [];
  for (const file of files) {
    listing.push({
      path: path.relative(target, file).split(path.sep).join('/'),
      digest: await sha256DigestOfFile(file),
    });
  }
  return folderDigest(listing);
}

/** The folder digest of `digestPath` from files already hashed (relative path → digest). */
export function folderDigest(files: ReadonlyArray<{ path: string; digest: string }>): string {
  const lines = files.map((file) => `${file.path}\t${file.digest}`).sort();
  return sha256Digest(lines.join('\n'));
}

/**
 * Each declared output's digest from the artifacts logged for an outputs folder (`outputs/<name>`
 * for a file, `outputs/<name>/…` for a folder), without reading the files again.
 */
export function outputDigests(
  names: readonly string[],
  logged: ReadonlyArray<{ path: string; digest: string }>,
  prefix = 'outputs/',
): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const name of names) {
    const base = `${prefix}${name}`;
    const file = logged.find((entry) => entry.path === base);
    if (file) {
      digests[name] = file.digest;
      continue;
    }
    const inside = logged
      .filter((entry) => entry.path.startsWith(`${base}/`))
      .map((entry) => ({ path: entry.path.slice(base.length + 1), digest: entry.digest }));
    digests[name] = folderDigest(inside);
  }
  return digests;
}
