import { InvalidArgumentError, type Command } from 'commander';
import { openContext } from '../app/context.js';
import { loadConfig } from '../common/config.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../server/defaults.js';
import { emit } from './output.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('serve the REST API (and the MLflow-compatible routes) over the local store')
    .option('--host <host>', 'interface to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_PORT)
    .action(async (options: { host: string; port: number }, command: Command) => {
      // Loaded here, not at the top: every other command would pay for Fastify at start-up.
      const { startServer } = await import('../server/index.js');
      const context = await openContext(loadConfig());
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({ context, host: options.host, port: options.port });
      } catch (error) {
        await context.close();
        throw error;
      }
      emit(command, { url: server.url }, () => `Ciclo server listening on ${server.url}`);
      const signal = await nextStopSignal();
      await server.close();
      await context.close();
      if (!command.optsWithGlobals<{ json?: boolean }>().json) process.stderr.write(`Stopped (${signal}).\n`);
    });
}

function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return port;
}
