import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What Ciclo stores (every project's runs, datasets, models, the token hashes) is for the user who
 * runs it alone: folders it creates are 0700 and files 0600. The mode is given at creation, so it
 * does not depend on the umask, which can only take bits away from it, never add any.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` and any missing parents, owner-only. An existing folder is left as it is. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * CICLO_HOME as an older version left it (0755 under the usual umask) is tightened to 0700 when a
 * context opens, which closes off everything already inside it (database, blobs, logs). A new home
 * is created 0700 by whatever first writes into it; a home that does not exist yet is left so.
 */
export function tightenHome(home: string): void {
  tighten(home, PRIVATE_DIR_MODE);
}

/**
 * Call before SQLite opens `file`. SQLite creates a new database 0644 minus the umask, and its `-wal`
 * and `-shm` files with the mode of the database file (os_unix.c, findCreateFileMode). So the file is
 * created empty here with 0600 first (an empty file is a valid new database) and all three come out
 * private, without a process-wide umask change that would race everything else the process creates.
 * A database an older version left 0644 is tightened, with any `-wal`/`-shm` beside it.
 */
export function preparePrivateSqliteFile(file: string): void {
  if (file === ':memory:' || file === '') return;
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) tighten(path, PRIVATE_FILE_MODE);
}

/**
 * Sets `mode` on a path this user owns. Someone else's path (a shared folder named as the home, a
 * database file another account provides) is left alone: it is not ours to change, and chmod would
 * fail anyway. A sticky folder (like /tmp) is shared by design and never tightened, even by root.
 */
function tighten(path: string, mode: number): void {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return;
  if ((stats.mode & 0o1000) !== 0) return;
  if ((stats.mode & 0o777) !== mode) chmodSync(path, mode);
}
