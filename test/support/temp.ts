import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp folder of the test's own; call the returned function to remove it. */
export function makeTempDir(prefix = 'ciclo-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Not retried: a process still writing here after its test stopped it is a bug the removal should show.
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
