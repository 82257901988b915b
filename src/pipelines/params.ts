import type { ParamType } from './definition.js';

/** Why `value` cannot be a value of a param of this type, or undefined when it can. */
export function paramTypeMismatch(type: ParamType, value: unknown): string | undefined {
  const fits =
    type === 'string' ? typeof value === 'string'
    : type === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : type === 'integer' ? Number.isSafeInteger(value)
    : typeof value === 'boolean';
  return fits ? undefined : `expected ${type === 'integer' ? 'an' : 'a'} ${type}, got ${JSON.stringify(value)}`;
}
