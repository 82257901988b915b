import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * Bundles the CLI and the step runners (already compiled by tsc into dist/) into `dist/bin/`: an entry
 * each, and chunks shared between them and per lazily imported command. Node 20's ESM loader pays
 * ~0.4 ms a file, and kysely alone is 263 files, zod 95: resolved one by one they cost more than the
 * command. The pure-JS libraries every command loads are bundled; the rest stay in node_modules,
 * loaded only by the commands that use them (native addons cannot be bundled at all, and the
 * server's libraries would only slow the other commands down).
 */
// Bundled CommonJS (csv-parse's, commander's) calls require(): ESM has none unless made.
const REQUIRE_SHIM =
  "import { createRequire as cicloCreateRequire } from 'node:module'; " +
  'const require = cicloCreateRequire(import.meta.url);';
const BUNDLED = new Set(['kysely', 'zod', 'commander', 'yaml', 'csv-parse', 'croner', 'shell-quote']);

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
const external = Object.keys(manifest.dependencies).filter((name) => !BUNDLED.has(name));
const outdir = new URL('../dist/bin/', import.meta.url).pathname;

function compiled(file: string): string {
  return new URL(`../dist/${file}`, import.meta.url).pathname;
}

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    ciclo: compiled('cli/main.js'),
    // The processes every pipeline step starts in: they pay the same start-up cost per step.
    'ts-step': compiled('runners/ts-step.js'),
    'data-step': compiled('runners/data-step.js'),
    'model-step': compiled('runners/model-step.js'),
    // The package's main export: a step's `import … from 'ciclo'` shares the runner's chunks.
    sdk: compiled('sdk/index.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external, ...external.map((name) => `${name}/*`)],
  banner: { js: REQUIRE_SHIM },
  minifyWhitespace: true,
  minifySyntax: true,
  // Not loaded unless node runs with --enable-source-maps: for reading a stack trace of the bundle.
  sourcemap: 'linked',
  logLevel: 'warning',
});
