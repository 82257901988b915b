import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';

// The real check (scripts/check-dependencies.ts with the repository's .dependency-cruiser.cjs) run as a child
// process over a small src/ tree of the test's own, so the repository's tree is never touched.
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHECKER = join(REPO, 'scripts/check-dependencies.ts');
const CONFIG = join(REPO, '.dependency-cruiser.cjs');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A baseline entry for `from` importing src/tracking/service.ts, which bypasses tracking's index.ts. */
const bypass = (from: string) => ({
  type: 'dependency',
  from,
  to: 'src/tracking/service.ts',
  rule: { severity: 'error', name: 'capability-through-index' },
});

interface CheckOutcome {
  status: number | null;
  output: string;
}

describe('npm run lint:deps (the dependency rules)', () => {
  let tree: ReturnType<typeof makeTempDir>;

  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(tree.dir, path)), { recursive: true });
    writeFileSync(join(tree.dir, path), text);
  };

  const check = (...args: string[]): CheckOutcome => {
    const child = spawnSync(process.execPath, ['--import', TSX, CHECKER, '--config', CONFIG, ...args], {
      cwd: tree.dir,
      encoding: 'utf8',
    });
    return { status: child.status, output: `${child.stdout}${child.stderr}` };
  };

  beforeEach(() => {
    tree = makeTempDir('ciclo-deps-');
    write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    // Two capabilities that respect the rules: registry uses tracking through its index.
    write('src/tracking/service.ts', 'export const track = (): number => 1;\n');
    write('src/tracking/index.ts', "export { track } from './service.js';\n");
    write(
      'src/registry/service.ts',
      "import { track } from '../tracking/index.js';\nexport const register = (): number => track();\n",
    );
    write('src/registry/index.ts', "export { register } from './service.js';\n");
    // The HTTP kit sits below the capabilities: their routes use it, and src/server mounts them.
    write('src/http/query.ts', 'export const page = 1;\n');
    write('src/http/index.ts', "export { page } from './query.js';\n");
    write('src/server/app.ts', "import { track } from '../tracking/index.js';\nexport const app = track;\n");
    write('src/tracking/routes.ts', "import { page } from '../http/index.js';\nexport const routes = page;\n");
  });

  afterEach(() => tree.remove());

  it('fails on a capability importing the server, or the HTTP kit importing a capability', () => {
    write('src/server/errors.ts', 'export const answer = 1;\n');
    write('src/registry/routes.ts', "import { answer } from '../server/errors.js';\nexport const routes = answer;\n");
    write('src/http/wire.ts', "import { track } from '../tracking/index.js';\nexport const wire = track;\n");
    // The web UI takes the server's types, never its values: those would be bundled for the browser.
    write(
      'ui/src/types.ts',
      "import type { track } from '../../src/tracking/index.js';\nexport type T = typeof track;\n",
    );
    write('ui/src/page.ts', "import { track } from '../../src/tracking/index.js';\nexport const page = track;\n");

    const outcome = check();

    expect(outcome.status, outcome.output).toBe(1);
    expect(outcome.output).toContain('shells-on-top-server: src/registry/routes.ts → src/server/errors.ts');
    expect(outcome.output).toContain('http-kit-below-capabilities: src/http/wire.ts → src/tracking/index.ts');
    // The kit importing tracking, which imports the kit, is a folder cycle too.
    expect(outcome.output).toContain('no-folder-cycles: src/http → src/tracking');
    expect(outcome.output).toContain('ui-takes-only-types-from-src: ui/src/page.ts → src/tracking/index.ts');
    expect(outcome.output).not.toContain('ui/src/types.ts');
  });

  it('fails on an import bypassing an index.ts, a folder cycle and an import of the CLI, naming each import', () => {
    write('src/registry/bad.ts', "import { track } from '../tracking/service.js';\nexport const bad = track;\n");
    write('src/tracking/back.ts', "import { register } from '../registry/index.js';\nexport const back = register;\n");
    write('src/cli/format.ts', 'export const format = 1;\n');
    write('src/tracking/cli-user.ts', "import { format } from '../cli/format.js';\nexport const shown = format;\n");

    const outcome = check();

    expect(outcome.status, outcome.output).toBe(1);
    expect(outcome.output).toContain('capability-through-index: src/registry/bad.ts → src/tracking/service.ts');
    expect(outcome.output).toContain('no-folder-cycles: src/tracking → src/registry');
    expect(outcome.output).toContain('import src/tracking/back.ts → src/registry/index.ts');
    expect(outcome.output).toContain('shells-on-top-cli: src/tracking/cli-user.ts → src/cli/format.ts');
  });

  it('tolerates the violations in the baseline and fails only on a new one', () => {
    write('src/registry/bad.ts', "import { track } from '../tracking/service.js';\nexport const bad = track;\n");
    write('src/registry/worse.ts', "import { track } from '../tracking/service.js';\nexport const worse = track;\n");
    write('.dependency-cruiser-known-violations.json', JSON.stringify([bypass('src/registry/bad.ts')]));

    const outcome = check();

    // Nothing else is found: the rest of the tree keeps the rules, the HTTP kit included.
    expect(outcome.output).toContain('1 known violations tolerated (.dependency-cruiser-known-violations.json), 1 new');
    expect(outcome.output).toContain('capability-through-index: src/registry/worse.ts → src/tracking/service.ts');
    expect(outcome.output).not.toContain('src/registry/bad.ts →');
    expect(outcome.status, outcome.output).toBe(1);
  });

  it("writes the baseline in dependency-cruiser's known-violations format on --update-baseline", () => {
    write('src/registry/bad.ts', "import { track } from '../tracking/service.js';\nexport const bad = track;\n");
    write('src/tracking/back.ts', "import { register } from '../registry/index.js';\nexport const back = register;\n");

    const outcome = check('--update-baseline');

    expect(outcome.status, outcome.output).toBe(0);
    const cycle = (from: string, to: string) => ({
      type: 'cycle',
      from,
      to,
      rule: { severity: 'error', name: 'no-folder-cycles' },
    });
    expect(JSON.parse(readFileSync(join(tree.dir, '.dependency-cruiser-known-violations.json'), 'utf8'))).toEqual([
      bypass('src/registry/bad.ts'),
      cycle('src/registry', 'src/tracking'),
      cycle('src/tracking', 'src/registry'),
    ]);
  });
});
