import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the build reads (the web UI's `ui/` too), and what it writes last: the CLI bundle and the UI's page. */
const SOURCES = ['src', 'ui', 'scripts/bundle-cli.ts', 'package.json', 'tsconfig.build.json'];
const OUTPUTS = [join(ROOT, 'dist', 'bin', 'ciclo.js'), join(ROOT, 'dist', 'ui', 'index.html')];

/**
 * Vitest's global setup: tests that start `ciclo` or a step runner, or load the web UI, run dist/, so
 * `npx vitest run` after an edit would test the code before it. A dist/ older than any source is rebuilt first
 * (`npm test` has built it already, and this finds it fresh).
 */
export default function rebuildStaleDist(): void {
  const built = Math.min(...OUTPUTS.map((output) => statSync(output, { throwIfNoEntry: false })?.mtimeMs ?? 0));
  const stale = SOURCES.some((source) => newestChange(join(ROOT, source)) > built);
  if (!stale) return;
  process.stderr.write('dist/ is older than the sources: running `npm run build` before the tests\n');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

function newestChange(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}
