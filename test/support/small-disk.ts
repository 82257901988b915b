import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real, small file system: a tmpfs of `sizeBytes` mounted on a folder of the test's own (tests
 * run as root, as CI does). Writes past its size fail with ENOSPC, as on a full disk. `remove`
 * unmounts it and deletes the folder.
 */
export function mountSmallDisk(sizeBytes: number): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ciclo-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot mount a tmpfs for the disk-full tests (they need root, as CI has): ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    dir,
    remove: () => {
      execFileSync('umount', ['--lazy', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A folder on the small disk that the PostgreSQL server (user `postgres`) can hold a tablespace in. */
export function postgresTablespaceDir(disk: { dir: string }): string {
  const dir = join(disk.dir, 'pg');
  mkdirSync(dir, { mode: 0o700 });
  const ids =
    execFileSync('id', ['-u', 'postgres']).toString().trim() +
    ':' +
    execFileSync('id', ['-g', 'postgres']).toString().trim();
  const [uid, gid] = ids.split(':').map(Number);
  chownSync(dir, uid!, gid!);
  return dir;
}
