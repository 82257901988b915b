import { readFileSync } from 'node:fs';
import { packagePath } from '../common/package-files.js';

/** Read at start-up from the package's package.json. */
export const CICLO_VERSION: string = (
  JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }
).version;
