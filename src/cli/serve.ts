import { InvalidArgumentError, type Command } from 'commander';
import { openRequestCapture, sensitiveColumns } from '../app/capture.js';
import { openContext } from '../app/context.js';
import { loadConfig } from '../common/config.js';
import { DEFAULT_HOST } from '../server/defaults.js';
import { parsePort } from './option-parsers.js';
import { emit, printError, wantsJson } from './output.js';
import { nextStopSignal } from './signals.js';

/** The port `mlflow models serve` listens on: clients and scripts written for it work unchanged. */
const DEFAULT_SCORING_PORT = 5000;

interface ServeOptions {
  host: string;
  port: number;
  runtime?: string;
  auth?: boolean;
  capture: number;
  deployment: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description("serve one registered model over MLflow's scoring protocol and the Open Inference Protocol v2")
    .argument('<model>', 'NAME@alias, NAME/VERSION or NAME (its latest version)')
    .option('--host <host>', 'interface to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_SCORING_PORT)
    .option('--runtime <name>', 'model runtime (onnx, js, python); default: the one for the package flavor')
    .option('--auth', 'require an API token with read access to the model (default CICLO_AUTH); needed beyond loopback')
    .option('--capture <share>', 'share of requests captured to Parquet in the artifact store (0 to 1)', parseShare, 0)
    .option('--deployment <name>', 'the deployment this is a replica of (set by ciclo server)', '')
    .action(async (reference: string, options: ServeOptions, command: Command) => {
      // Loaded here, not at the top: other commands do not pay for Fastify at start-up.
      const { startScoringServer } = await import('../server/index.js');
      const config = loadConfig();
      const context = await openContext(config);
      const closers: (() => Promise<void>)[] = [() => context.close()];
      const closeAll = async () => {
        for (const close of closers.splice(0).reverse()) await close();
      };
      let started: { url: string; name: string; version: number; runtime: string };
      try {
        const model = await context.serving.load(reference, {
          deployment: options.deployment,
          ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
        });
        closers.push(() => model.close());
        let capture;
        if (options.capture > 0) {
          const version = await context.registry.show(model.name, model.version);
          const opened = openRequestCapture(context, {
            deployment: options.deployment === '' ? model.name : options.deployment,
            sampleRate: options.capture,
            sensitive: await sensitiveColumns(context, version, (message) => printError(`capture: ${message}`)),
            onError: (error) => printError(`capture: ${(error as Error).message}`),
          });
          closers.push(opened.close);
          capture = opened.capture;
        }
        const server = await startScoringServer({
          context,
          model,
          host: options.host,
          port: options.port,
          auth: options.auth ?? config.auth ?? false,
          deployment: options.deployment,
          ...(capture === undefined ? {} : { capture }),
        });
        closers.push(() => server.close());
        started = { url: server.url, name: model.name, version: model.version, runtime: model.runtime };
      } catch (error) {
        await closeAll();
        throw error;
      }
      const { url, name, version, runtime } = started;
      emit(command, { url, model: name, version, runtime }, () =>
        [
          `Serving ${name}/${version} (${runtime}) on ${url}`,
          `  curl -X POST ${url}/invocations -H 'Content-Type: application/json' ` +
            `-d '{"dataframe_records": [{…}]}'`,
          `  Open Inference Protocol: ${url}/v2/models/${name}/infer`,
        ].join('\n'),
      );
      const signal = await nextStopSignal();
      // The server first (no new requests), then the capture (what was queued is written), the model, the store.
      await closeAll();
      if (!wantsJson(command)) process.stderr.write(`Stopped (${signal}).\n`);
    });
}

function parseShare(value: string): number {
  const share = Number(value);
  if (value.trim() === '' || !Number.isFinite(share) || share < 0 || share > 1) {
    throw new InvalidArgumentError('must be a number from 0 to 1');
  }
  return share;
}
