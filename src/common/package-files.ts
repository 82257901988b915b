import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * A file of the installed package (package.json, python/, examples/, dist/bin/), whichever layout this
 * module runs from: src/<capability>/ under tsx and vitest, dist/<capability>/ compiled by tsc, or a
 * chunk of the bundled CLI in dist/bin/. Relative URLs differ between those; the package root does not.
 */
export function packagePath(...segments: string[]): string {
  root ??= findPackageRoot(dirname(fileURLToPath(import.meta.url)));
  return join(root, ...segments);
}

function findPackageRoot(from: string): string {
  // Every layout has the package's own package.json above it, and none has another one in between.
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json above ${from}`);
  }
}
