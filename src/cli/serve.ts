import type { Command } from 'commander';
import { openContext } from '../app/context.js';
import { loadConfig } from '../common/config.js';
import { DEFAULT_HOST } from '../server/defaults.js';
import { parsePort } from './option-parsers.js';
import { emit, wantsJson } from './output.js';
import { nextStopSignal } from './signals.js';

/** The port `mlflow models serve` listens on: clients and scripts written for it work unchanged. */
const DEFAULT_SCORING_PORT = 5000;

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description("serve one registered model over MLflow's scoring protocol and the Open Inference Protocol v2")
    .argument('<model>', 'NAME@alias, NAME/VERSION or NAME (its latest version)')
    .option('--host <host>', 'interface to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_SCORING_PORT)
    .option('--runtime <name>', 'model runtime (onnx, js, python); default: the one for the package flavor')
    .option('--auth', 'require an API token with read access to the model (default CICLO_AUTH); needed beyond loopback')
    .action(
      async (
        reference: string,
        options: { host: string; port: number; runtime?: string; auth?: boolean },
        command: Command,
      ) => {
        // Loaded here, not at the top: other commands do not pay for Fastify at start-up.
        const { startScoringServer } = await import('../server/index.js');
        const config = loadConfig();
        const context = await openContext(config);
        let model: Awaited<ReturnType<typeof context.serving.load>> | undefined;
        let server: Awaited<ReturnType<typeof startScoringServer>> | undefined;
        try {
          model = await context.serving.load(
            reference,
            options.runtime === undefined ? {} : { runtime: options.runtime },
          );
          server = await startScoringServer({
            context,
            model,
            host: options.host,
            port: options.port,
            auth: options.auth ?? config.auth ?? false,
          });
        } catch (error) {
          await model?.close();
          await context.close();
          throw error;
        }
        const { name, version, runtime } = model;
        emit(command, { url: server.url, model: name, version, runtime }, () =>
          [
            `Serving ${name}/${version} (${runtime}) on ${server.url}`,
            `  curl -X POST ${server.url}/invocations -H 'Content-Type: application/json' ` +
              `-d '{"dataframe_records": [{…}]}'`,
            `  Open Inference Protocol: ${server.url}/v2/models/${name}/infer`,
          ].join('\n'),
        );
        const signal = await nextStopSignal();
        await server.close();
        await model.close();
        await context.close();
        if (!wantsJson(command)) process.stderr.write(`Stopped (${signal}).\n`);
      },
    );
}
