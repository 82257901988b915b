import { InvalidInputError } from '../../common/errors.js';
import type { FieldPath } from './definition-error.js';
import type { ParamValue } from './definition.js';

export type TemplateRoot = 'params' | 'inputs' | 'outputs';

export interface TemplateUse {
  /** Where the string holding the template sits, relative to the value searched. */
  path: FieldPath;
  root: TemplateRoot;
  name: string;
  text: string;
}

// Only these roots are ours; anything else (`${HOME}`) is left for the shell the command runs in.
const TEMPLATE = /\$\{\s*(params|inputs|outputs)\.([^}\s]*)\s*\}/g;

/** Every `${params.x}`, `${inputs.x}` and `${outputs.x}` in a value, however deeply nested. */
export function findTemplates(value: unknown, path: FieldPath = []): TemplateUse[] {
  if (typeof value === 'string') {
    return [...value.matchAll(TEMPLATE)].map((match) => ({
      path,
      root: match[1] as TemplateRoot,
      name: match[2]!,
      text: match[0],
    }));
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findTemplates(item, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => findTemplates(item, [...path, key]));
  }
  return [];
}

export interface TemplateValues {
  params: Readonly<Record<string, ParamValue>>;
  /** Input name → the local path the step reads. */
  inputs: Readonly<Record<string, string>>;
  /** Output name → the local path the step writes. */
  outputs: Readonly<Record<string, string>>;
}

/**
 * Replaces every `${params.x}`, `${inputs.x}` and `${outputs.x}` in a string with its value. A name
 * with no value is an InvalidInputError: rendering it as an empty string would run the step with an
 * argument nobody meant, which is worse than not running it.
 */
export function renderTemplate(value: string, values: TemplateValues): string {
  return value.replace(TEMPLATE, (text, root: TemplateRoot, name: string) => {
    const known = values[root];
    if (Object.hasOwn(known, name)) return String(known[name]);
    const names = Object.keys(known);
    throw new InvalidInputError(`${text} names no ${root.slice(0, -1)} of this step`, {
      hint: names.length > 0 ? `its ${root}: ${names.join(', ')}` : `the step has no ${root}`,
    });
  });
}

const WHOLE_PARAM = /^\$\{\s*params\.([^}\s]*)\s*\}$/;

/**
 * A step's own `params:` with their templates filled in. A value that is exactly `${params.x}`
 * keeps the pipeline param's type (a number stays a number); any other string is rendered.
 */
export function renderStepParams(
  stepParams: Readonly<Record<string, ParamValue>>,
  values: TemplateValues,
): Record<string, ParamValue> {
  const rendered: Record<string, ParamValue> = {};
  for (const [name, value] of Object.entries(stepParams)) {
    if (typeof value !== 'string') {
      rendered[name] = value;
      continue;
    }
    const whole = WHOLE_PARAM.exec(value.trim());
    rendered[name] =
      whole && Object.hasOwn(values.params, whole[1]!) ? values.params[whole[1]!]! : renderTemplate(value, values);
  }
  return rendered;
}
