import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'dist', 'ui', 'index.html');

/**
 * The browser tests load the built UI that `ciclo server` serves (dist/ui/). Vitest's global setup rebuilds
 * dist/ from src/ only, so a UI edited since its last build is built here (~5 s), before the server starts.
 */
export function buildUiWhenStale(): void {
  const built = statSync(BUILT, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (newestChange(join(ROOT, 'ui')) <= built) return;
  execFileSync('npm', ['run', 'build:ui', '--silent'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

function newestChange(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}
