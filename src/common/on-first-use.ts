import { createRequire } from 'node:module';

/**
 * Loads a CommonJS library where it is first used, synchronously, instead of at start-up. A command
 * pays for every library its modules import at the top, whether it uses them or not: `pg` on a SQLite
 * store, `ioredis` without a Redis action. Type it with an `import type` of the same library.
 */
export const requireOnFirstUse = createRequire(import.meta.url);
