import path from 'node:path';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import { TsConfigSchema } from '../definition/step-kinds.js';

/**
 * A `ts` step's module, checked when its pipeline is loaded: it exists and exports the function the step names.
 * Without this, a typo in `export:` is found only when the step runs, after every step before it. The module is
 * read, never run: esbuild parses it (TypeScript or JavaScript, following its own `export … from`), which answers in
 * milliseconds and says where a syntax error is. A module written as CommonJS (module.exports) has no static exports
 * to read, so it is left to the run. A path with a template is known only then too.
 */
export async function checkTsStepModule(raw: unknown, step: { name: string; workDir: string }): Promise<void> {
  const config = TsConfigSchema.parse(raw);
  if (config.module.includes('${')) return;
  const file = path.resolve(step.workDir, config.module);
  const where = `steps.${step.name}.module`;
  // Loaded on first use: a command that loads no pipeline never starts esbuild's service.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    outdir: 'unused',
    logLevel: 'silent',
  }).catch((error: unknown) => {
    throw moduleError(error, file, where, step.workDir);
  });
  const input = Object.entries(result.metafile.inputs).find(([name]) => path.resolve(name) === file)?.[1];
  if (input?.format === 'cjs') return;
  const exported = Object.values(result.metafile.outputs).find((output) => output.entryPoint !== undefined)?.exports;
  if (exported === undefined || exported.includes(config.export)) return;
  throw new InvalidInputError(`${config.module} has no export "${config.export}"`, {
    where: `steps.${step.name}.export`,
    hint: `it exports: ${exported.length === 0 ? 'nothing' : exported.join(', ')}`,
  });
}

function moduleError(error: unknown, file: string, where: string, workDir: string): Error {
  const first = (
    error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> }
  ).errors?.[0];
  if (first === undefined) return error instanceof Error ? error : new Error(String(error));
  if (first.text.startsWith('Could not resolve') && first.location === null) {
    return new NotFoundError(`the module ${file} does not exist`, {
      where,
      hint: 'module is relative to the pipeline file',
    });
  }
  // esbuild names files relative to the process's folder; shown relative to the pipeline's, as the YAML names them.
  const at = first.location
    ? `${path.relative(workDir, path.resolve(first.location.file))}:${first.location.line}:${first.location.column + 1}`
    : file;
  return new InvalidInputError(`${at}: ${first.text}`, { where });
}
