import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { AlreadyExistsError, InvalidInputError } from '../common/errors.js';
import { packagePath } from '../common/package-files.js';
import { emit } from './output.js';

/** The project's files, with `__NAME__` for the project's name (templates/init/ in the package). */
const TEMPLATE = packagePath('templates', 'init');
/** Python steps log to their run over REST with this helper; the sklearn example's copy is the one kept. */
const PYTHON_LOGGER = packagePath('examples', 'sklearn', 'steps', 'ciclo_log.py');
const NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** `ciclo init DIR`: a project of the user's own that `npx ciclo pipeline run` runs as it is. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('make a project: a pipeline with a TypeScript and a Python step, expectations and a policy')
    .argument('<dir>', 'the folder to make (it must not exist, or be empty)')
    .option('--name <name>', "the pipeline's and the model's name (default: the folder's name)")
    .action((dir: string, options: { name?: string }, command: Command) => {
      const target = path.resolve(dir);
      const name =
        options.name ??
        path
          .basename(target)
          .toLowerCase()
          .replace(/[^a-z0-9_-]+/g, '-');
      if (!NAME.test(name)) {
        throw new InvalidInputError(`"${name}" cannot name a pipeline and a model`, {
          where: '--name',
          hint: 'lowercase letters, digits, "-" and "_", starting with a letter',
        });
      }
      if (existsSync(target) && readdirSync(target).length > 0) {
        throw new AlreadyExistsError(`${target} exists and is not empty`, {
          where: dir,
          hint: 'give a new folder, or an empty one',
        });
      }
      const files = scaffold(target, name);
      emit(command, { dir: target, name, files }, () =>
        [
          `Made ${name} in ${target}:`,
          ...files.map((file) => `  ${file}`),
          '',
          `Run it:  cd ${path.relative(process.cwd(), target) || '.'} && npx ciclo pipeline run .`,
        ].join('\n'),
      );
    });
}

/** Written into a temp folder beside the target and renamed into place: a failure leaves no half project. */
function scaffold(target: string, name: string): string[] {
  const temp = `${target}.ciclo-init-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  try {
    cpSync(TEMPLATE, temp, { recursive: true });
    cpSync(PYTHON_LOGGER, path.join(temp, 'steps', 'ciclo_log.py'));
    const files = listFiles(temp);
    for (const file of files) {
      const full = path.join(temp, file);
      writeFileSync(full, readFileSync(full, 'utf8').replaceAll('__NAME__', name));
    }
    // ES modules, so a step's `import … from 'ciclo'` is the installation running it (see src/runners).
    const manifest = { name, private: true, type: 'module', scripts: { pipeline: 'ciclo pipeline run .' } };
    writeFileSync(path.join(temp, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(target)) rmSync(target, { recursive: true });
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(temp, target);
    return [...files, 'package.json'].sort();
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

function listFiles(folder: string, prefix = ''): string[] {
  return readdirSync(path.join(folder, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? listFiles(folder, relative) : [relative];
  });
}
