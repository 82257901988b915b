import type { Command } from 'commander';
import { openContext } from '../app/context.js';
import { deploymentSupervisor } from '../app/deployments.js';
import { loadConfig } from '../common/config.js';
import { describeError } from '../common/errors.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../server/defaults.js';
import { parsePort } from './option-parsers.js';
import { emit, printError, wantsJson } from './output.js';
import { nextStopSignal } from './signals.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('serve the REST API (and the MLflow-compatible routes) over the local store')
    .option('--host <host>', 'interface to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, DEFAULT_PORT)
    .option(
      '--pipelines <paths...>',
      'pipeline files or folders (with pipeline.yaml) whose triggers to run; default CICLO_PIPELINES',
    )
    .option(
      '--auth',
      'require an API token on every route but health, the OpenAPI document and signed webhooks ' +
        '(default CICLO_AUTH); needed to listen beyond loopback',
    )
    .action(async (options: { host: string; port: number; pipelines?: string[]; auth?: boolean }, command: Command) => {
      // Loaded here, not at the top: every other command would pay for Fastify (and the trigger sources) at start-up.
      const { startServer } = await import('../server/index.js');
      const { TriggerRuntime } = await import('../triggers/index.js');
      const { stepPrincipal } = await import('../governance/index.js');
      const { MonitorScheduler, registerMonitoringGauges } = await import('../monitoring/index.js');
      const config = loadConfig();
      const context = await openContext(config);
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      let triggers: InstanceType<typeof TriggerRuntime> | undefined;
      // A monitor's failed run is stored as a `failed` result; what reaches here is the store itself failing.
      const monitoring = new MonitorScheduler({
        monitors: context.monitors,
        alerts: context.alerts,
        onError: (error, monitor) =>
          printError(`monitor${monitor === undefined ? 's' : ` ${monitor}`}: ${describeError(error)}`),
      });
      registerMonitoringGauges(context.metrics.registry, context.monitors, context.alerts);
      const auth = options.auth ?? config.auth ?? false;
      const supervisor = deploymentSupervisor(context, {
        auth,
        log: (message) => printError(message),
      });
      try {
        // Steps of the runs this server starts log to it, with a token of its own when it needs one.
        const steps = auth ? stepPrincipal() : undefined;
        server = await startServer({
          context,
          host: options.host,
          port: options.port,
          auth,
          supervisor,
          ...(steps ? { ephemeralPrincipals: new Map([[steps.secret, steps.principal]]) } : {}),
        });
        supervisor.start();
        context.pipelines.setStepTrackingUri(server.url, steps?.secret);
        triggers = new TriggerRuntime({
          pipelines: context.pipelines,
          db: context.database.db,
          config,
          // A trigger's failures (a broken connection, a run that could not start) must not stop the server.
          onEvent: (event) => {
            if (event.type !== 'error') return;
            const at = event.trigger === undefined ? event.pipeline : `${event.pipeline}/${event.trigger}`;
            printError(`trigger ${at}: ${describeError(event.error)}`);
          },
        });
        await triggers.addPaths(options.pipelines ?? config.pipelines ?? []);
        await triggers.start();
        await monitoring.start();
      } catch (error) {
        monitoring.stop();
        await triggers?.stop();
        await server?.close();
        await supervisor.stop();
        await context.close();
        throw error;
      }
      const registered = triggers.registered();
      const monitors = monitoring.scheduled();
      emit(command, { url: server.url, triggers: registered, monitors }, () =>
        [
          `Ciclo server listening on ${server.url}`,
          ...registered.map((t) => `trigger ${t.pipeline}/${t.name} (${t.type}): ${t.description}`),
          ...monitors.map((name) => `monitor ${name} on its schedule`),
        ].join('\n'),
      );
      const signal = await nextStopSignal();
      // Triggers first: no new runs while the server goes down; runs being driven are cancelled.
      monitoring.stop();
      await triggers.stop();
      await server.close();
      await supervisor.stop();
      await context.close();
      if (!wantsJson(command)) process.stderr.write(`Stopped (${signal}).\n`);
    });
}
