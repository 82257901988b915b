import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../common/errors.js';

/** Where views given by name are looked for, relative to the working folder. */
export const DEFAULT_VIEWS_DIR = 'features';

/** Feature views named the way the CLI takes them. */
export interface ViewFiles {
  /** Each a view file's path (.yaml/.yml) or the name of a view in `viewsDir`. */
  views: string[];
  /** The folder of view files for views given by name; `features` when not given. */
  viewsDir?: string;
}

/** A path as given when it names a file (or ends in .yaml/.yml); otherwise `<dir>/<name>.yaml|.yml`. */
export function resolveViewFile(ref: string, dir: string = DEFAULT_VIEWS_DIR): string {
  if (existsSync(ref) || /\.ya?ml$/i.test(ref)) return ref;
  for (const candidate of [join(dir, `${ref}.yaml`), join(dir, `${ref}.yml`)])
    if (existsSync(candidate)) return candidate;
  throw new NotFoundError(`feature view "${ref}" is neither a file nor ${join(dir, `${ref}.yaml`)}`, {
    where: ref,
    hint: "give the view file's path, or its name with --views-dir pointing at the folder of view files",
  });
}
