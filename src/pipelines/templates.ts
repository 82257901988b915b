import type { FieldPath } from './definition-error.js';

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
