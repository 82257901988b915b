import { writeFile } from 'node:fs/promises';
import { InvalidInputError } from '../../common/errors.js';
import { PRIVATE_FILE_MODE } from '../../common/private-files.js';

/** The named input or output of a step's task, or the only one when none is named. */
export function pickName(
  what: 'input' | 'output',
  named: string | undefined,
  names: readonly string[],
  field: string,
): string {
  if (named !== undefined) {
    if (names.includes(named)) return named;
    throw new InvalidInputError(`the step has no ${what} "${named}"`, {
      where: field,
      hint: `its ${what}s: ${names.join(', ') || '(none)'}`,
    });
  }
  if (names.length === 1) return names[0]!;
  throw new InvalidInputError(`the step has ${names.length} ${what}s; name the one to use`, {
    where: field,
    hint: `set ${field}: one of ${names.join(', ') || '(none)'}`,
  });
}

/** Writes the JSON to the output (the named one, else the only one); a step without outputs writes nothing. */
export async function writeJsonOutput(
  outputs: Record<string, string>,
  named: string | undefined,
  value: unknown,
): Promise<void> {
  const names = Object.keys(outputs);
  if (named === undefined && names.length === 0) return;
  const output = outputs[pickName('output', named, names, 'output')]!;
  await writeFile(output, `${JSON.stringify(value, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
}
