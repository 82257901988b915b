/**
 * The process a `ts` step runs in: `ts-step <module> <export> <context JSON>`. It imports the
 * module, awaits the export with the context and exits 0, or prints the error and exits 1. It exits
 * explicitly because a step that leaves a timer or socket open must not hang its pipeline. It must be
 * plain JavaScript, so a .js/.mjs step starts without a TypeScript loader: it runs from dist.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { packagePath } from '../common/package-files.js';
import type { StepContext } from '../pipelines/index.js';
import type { ActiveRun, Ciclo, StepRunContext } from '../sdk/index.js';
import type { InstallationData } from './resolve-from-installation.js';

async function main(argv: string[]): Promise<void> {
  const [modulePath, exportName, contextJson] = argv;
  if (!modulePath || !exportName || !contextJson) throw new Error('usage: ts-step <module> <export> <context JSON>');
  resolveFromInstallation();
  const module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const run = module[exportName];
  if (typeof run !== 'function') {
    const exported = Object.keys(module).join(', ') || 'nothing';
    throw new Error(`${modulePath} has no exported function "${exportName}" (it exports: ${exported})`);
  }
  const context = JSON.parse(contextJson) as StepContext;
  // The SDK is loaded only by steps that log: a step that does not pays nothing for it.
  let connection: Promise<{ ciclo: Ciclo; run: ActiveRun }> | undefined;
  const withRun: StepRunContext = {
    ...context,
    run: async () => {
      connection ??= import('../sdk/index.js').then(async ({ Ciclo }) => {
        const ciclo = await Ciclo.connect();
        return { ciclo, run: await ciclo.attachRun(context.runId) };
      });
      return (await connection).run;
    },
  };
  try {
    await (run as (context: StepRunContext) => unknown)(withRun);
  } finally {
    // Sends what the step logged; the scheduler ends the run itself.
    if (connection) await (await connection).ciclo.close();
  }
}

/** `import … from 'ciclo'` in the step means this installation, wherever the step's folder is. */
function resolveFromInstallation(): void {
  const data: InstallationData = {
    sdk: pathToFileURL(packagePath('dist', 'bin', 'sdk.js')).href,
    packageJson: pathToFileURL(packagePath('package.json')).href,
  };
  register(pathToFileURL(packagePath('dist', 'runners', 'resolve-from-installation.js')), { data });
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`, () =>
      process.exit(1),
    );
  },
);
