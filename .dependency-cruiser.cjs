// Dependency rules for src/, checked by `npm run lint:deps` (scripts/check-dependencies.ts), which `npm test` runs
// first. Violations recorded in .dependency-cruiser-known-violations.json are today's debt: they are tolerated, a
// new one fails the check with the offending import named, and the file may only shrink.
//
// The layers of src/:
// - common/ is the foundation: small leaf files (errors, config, validation, private files) imported file by file;
//   it has no index.ts because each file is its own concern.
// - the capabilities own one concern each and are imported only through their index.ts: artifacts, data,
//   evaluation, features, governance, lineage, monitoring, pipelines, registry, serving, setup, store, tracking,
//   triggers, and sdk (the public client, which pipeline steps also use). governance/approvals is imported
//   through its own index.ts, because approvals import the registry, which imports governance
//   (src/governance/index.ts says so).
// - the shells sit on top: app/ (the composition root), cli/, server/ and runners/ (the processes built-in step kinds
//   run in, started by path). Capabilities never import them.
// - http/ is the HTTP kit every capability's routes share (the `/api/v1` wire conventions, query and raw-body
//   parsing, a served file's security headers, the error answer). Like common/ it sits below the capabilities and
//   imports nothing but common/, so a capability's routes use it without importing the server that mounts them;
//   unlike common/ it is one concern, imported through its index.ts. What a route may touch is declared with
//   governance's `access`, imported through src/governance/index.ts like any capability.
// - the sdk re-exports from common/ and capabilities for the package's users; it is not a shell, as pipeline steps
//   run in their own process and log through it.

const CAPABILITIES = `^src/(${[
  'artifacts',
  'data',
  'evaluation',
  'features',
  'governance',
  'http',
  'lineage',
  'monitoring',
  'pipelines',
  'registry',
  'sdk',
  'serving',
  'setup',
  'store',
  'tracking',
  'triggers',
].join('|')})/`;

const CAPABILITY_ENTRY_POINTS = ['^src/[^/]+/index\\.ts$', '^src/governance/approvals/index\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'capability-through-index',
      comment:
        'A capability is imported only through its index.ts, so what it offers is one list and its files can move ' +
        'or split without touching other folders. Export the symbol from that index.ts and import the index.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: CAPABILITIES,
        pathNot: ['^src/$1/', ...CAPABILITY_ENTRY_POINTS],
      },
    },
    {
      name: 'shells-on-top-cli',
      comment:
        'src/cli is the ciclo program: it imports capabilities, nothing imports it. Move what others need into ' +
        'the capability (or common/) that owns it.',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'shells-on-top-server',
      comment:
        'src/server is the Fastify app: it mounts capabilities, which never import it. What their routes share ' +
        '(wire conventions, query and raw-body parsing, the error answer) is src/http. src/cli and src/app start it.',
      severity: 'error',
      from: { pathNot: '^src/(server|cli|app)/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'shells-on-top-runners',
      comment:
        'src/runners holds the processes built-in step kinds run in (ts, data and model steps): programs started ' +
        'by path, which import the SDK and the composition root. Nothing imports them; a runtime gets its ' +
        "runner's path from src/app/step-kinds.ts. Put shared step code in the capability that owns the kind.",
      severity: 'error',
      from: { pathNot: '^src/runners/' },
      to: { path: '^src/runners/' },
    },
    {
      name: 'shells-on-top-app',
      comment:
        'src/app is the composition root: it builds every service once for the CLI, the server and the embedded ' +
        'SDK. A capability that imports it wires services a second time; take what it needs as a parameter.',
      severity: 'error',
      from: { pathNot: '^src/(app|cli|server|sdk|runners)/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'http-kit-below-capabilities',
      comment:
        "src/http is shared by every capability's routes, so it imports nothing but common/: an import of a " +
        'capability from here would tie every route to it. Take the value as a parameter or move it to common/.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/', pathNot: '^src/(http|common)/' },
    },
    {
      name: 'ui-takes-only-types-from-src',
      comment:
        'ui/ is the web UI, bundled for the browser by Vite; it talks to the server only over /api/v1. It imports ' +
        "the server's wire types (one source of truth for the API's shapes), type-only, so no server module (zod " +
        'schemas, node: imports, the store) ends up in the bundle. Use `import type`; a value the UI needs is its own.',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'nothing-imports-ui',
      comment:
        "ui/ is built into static files that `ciclo server` serves from dist/ui/; the server reads them, never ui/'s " +
        'modules, which are browser code.',
      severity: 'error',
      from: { pathNot: '^ui/' },
      to: { path: '^ui/' },
    },
    {
      name: 'no-folder-cycles',
      comment:
        'No cycle between top-level folders of src/: a cycle means neither folder can be understood, tested or ' +
        'moved without the other, and ESM cycles can break initialization order. Invert the import (hand the ' +
        'dependency in from src/app) or move the shared part down. Judged per top-level folder of src/ (nested ' +
        'folders belong to theirs; governance/approvals counts on its own, as it is imported on its own) by ' +
        'scripts/check-dependencies.ts, so the severity here is ignore: dependency-cruiser would judge each nested ' +
        'folder on its own and does not apply known violations to folder rules.',
      severity: 'ignore',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    // Type-only imports count: they tie folders together as much as value imports do.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
