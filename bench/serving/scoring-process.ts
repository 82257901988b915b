/**
 * `ciclo serve` with adaptive batching chosen, in a process of its own: what the CLI does (openContext,
 * `context.serving.load`, `startScoringServer` on loopback) minus the options, with the model loaded
 * `{ batching: false }` for `off` (every request its own call to the runtime) or the defaults for `on`.
 * argv: the model reference, then `on` or `off`; the store comes from CICLO_HOME. Prints `{"url": …}`.
 */
import { openContext } from '../../src/app/context.js';
import { loadConfig } from '../../src/common/config.js';
import { startScoringServer } from '../../src/server/index.js';

const [reference, batching] = process.argv.slice(2);
if (reference === undefined || (batching !== 'on' && batching !== 'off'))
  throw new Error('usage: scoring-process.ts NAME/VERSION on|off');

const context = await openContext(loadConfig());
const model = await context.serving.load(reference, batching === 'off' ? { batching: false } : {});
const server = await startScoringServer({ context, model, host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await server.close();
    await model.close();
    await context.close();
    process.exit(0);
  })();
});
