import { parse, type ParseEntry } from 'shell-quote';
import { InvalidInputError } from '../../common/errors.js';
import { CommandConfigSchema } from '../definition/step-kinds.js';
import { findTemplates, renderTemplate } from '../definition/templates.js';
import { parseKindConfig, type StepRuntime } from './runtime.js';

/**
 * A `command` step: any executable, started without a shell. A command line is split into words as
 * a shell would (quotes, escapes, `$VARIABLES` from the step's environment), and templates are
 * rendered in each word afterwards, so a param holding spaces or quotes stays one argument.
 */
export const commandRuntime: StepRuntime = {
  prepare(job, env) {
    const config = parseKindConfig(CommandConfigSchema, job);
    const words = typeof config.command === 'string' ? splitCommand(config.command, env) : config.command;
    const [executable, ...args] = words.map((word) => renderTemplate(word, job));
    if (!executable) throw new InvalidInputError(`step "${job.stepName}" has an empty command`);
    return { executable, args, ...(config.cwd === undefined ? {} : { cwd: renderTemplate(config.cwd, job) }) };
  },
};

const TEMPLATE_ROOT = /^(params|inputs|outputs)\./;

export function splitCommand(command: string, env: Readonly<Record<string, string>>): string[] {
  // shell-quote would read `${params.x}` as a variable; handing it back verbatim keeps it for
  // renderTemplate. Our templates may hold spaces (`${ params.x }`), which shell-quote cannot read.
  const canonical = findTemplates(command).reduce(
    (text, use) => text.replaceAll(use.text, `\${${use.root}.${use.name}}`),
    command,
  );
  let entries: ParseEntry[];
  try {
    entries = parse(canonical, (name) => (TEMPLATE_ROOT.test(name) ? `\${${name}}` : env[name]));
  } catch (error) {
    throw new InvalidInputError(`cannot split the command "${command}": ${(error as Error).message}`);
  }
  return entries.flatMap((entry): string[] => {
    if (typeof entry === 'string') return [entry];
    if ('comment' in entry) return [];
    const text = entry.op === 'glob' ? entry.pattern : entry.op;
    throw new InvalidInputError(`the command "${command}" uses "${text}", which needs a shell`, {
      hint:
        entry.op === 'glob'
          ? 'quote the pattern to pass it literally, or run the command through ["sh", "-c", "…"]'
          : 'commands run without a shell; write ["sh", "-c", "…"] to use pipes, redirections or globs',
    });
  });
}
