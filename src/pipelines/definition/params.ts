import { InvalidInputError } from '../../common/errors.js';
import type { ParamType, ParamValue, PipelineDefinition } from './definition.js';

/** Why `value` cannot be a value of a param of this type, or undefined when it can. */
export function paramTypeMismatch(type: ParamType, value: unknown): string | undefined {
  const fits =
    type === 'string'
      ? typeof value === 'string'
      : type === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : type === 'integer'
          ? Number.isSafeInteger(value)
          : typeof value === 'boolean';
  return fits ? undefined : `expected ${type === 'integer' ? 'an' : 'a'} ${type}, got ${JSON.stringify(value)}`;
}

/**
 * `--param name=value` texts → typed values, by the types the pipeline declares; every problem is
 * reported at once with the flag that caused it.
 */
export function parseParamAssignments(
  definition: PipelineDefinition,
  assignments: readonly string[],
): Record<string, ParamValue> {
  const values: Record<string, ParamValue> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) {
      throw new InvalidInputError(`--param ${assignment} is not name=value`, {
        where: '--param',
        hint: 'write e.g. --param rows=5000',
      });
    }
    const name = assignment.slice(0, equals);
    const text = assignment.slice(equals + 1);
    const spec = definition.params[name];
    if (!spec) {
      const known = Object.keys(definition.params);
      throw new InvalidInputError(`pipeline "${definition.name}" has no param "${name}"`, {
        where: `--param ${name}`,
        hint: known.length > 0 ? `its params: ${known.join(', ')}` : 'the pipeline declares no params',
      });
    }
    const value = parseParamText(spec.type, text);
    if (value === undefined) {
      throw new InvalidInputError(
        `--param ${name}: expected ${spec.type === 'integer' ? 'an' : 'a'} ${spec.type}, got "${text}"`,
        {
          where: `--param ${name}`,
        },
      );
    }
    values[name] = value;
  }
  return values;
}

function parseParamText(type: ParamType, text: string): ParamValue | undefined {
  switch (type) {
    case 'string':
      return text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'number':
    case 'integer': {
      const value = text.trim() === '' ? Number.NaN : Number(text);
      return paramTypeMismatch(type, value) === undefined ? value : undefined;
    }
  }
}
