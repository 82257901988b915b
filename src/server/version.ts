import { readFileSync } from 'node:fs';

/** Read at start-up from package.json, which sits two folders up from both src/server and dist/server. */
export const CICLO_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
