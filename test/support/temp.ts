import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp folder of the test's own; call the returned function to remove it. */
export function makeTempDir(prefix = 'ciclo-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // Retried on ENOTEMPTY: a process the test stopped may still be finishing a file in it (seen once: a serving
  // replica's capture flush after the supervisor stopped; noted as an open question, not hidden by the tests).
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}
