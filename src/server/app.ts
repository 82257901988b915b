import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { CicloContext } from '../app/context.js';
import type { CicloConfig } from '../common/config.js';
import { featureRoutes } from '../features/index.js';
import { alertRoutes, monitorRoutes } from '../monitoring/index.js';
import { datasetRoutes } from '../data/index.js';
import { lineageRoutes } from '../lineage/index.js';
import { mlflowRoutes, trackingRoutes } from '../tracking/index.js';
import { triggerRoutes } from '../triggers/index.js';
import { mlflowRegistryRoutes, registryRoutes } from '../registry/index.js';
import {
  accessRoutes,
  installAccessControl,
  type FailedAuthLimits,
  type Principal,
  type RouteEntry,
} from '../governance/index.js';
import { approvalRoutes } from '../governance/approvals/index.js';
import { deploymentRoutes, proxyRoutes, type DeploymentSupervisor } from '../serving/index.js';
import { installErrorHandlers, installSecurityHeaders } from '../http/index.js';
import { addMetricsRoute, installHttpMetrics } from './http-metrics.js';
import { healthRoutes } from './health-routes.js';
import { registerOpenApi } from './openapi.js';
import { checkRequestValue, parseJsonBody } from './request-text.js';
import { strictNativeValidatorCompiler } from './strict-input.js';
import { webUiRoutes } from './web-ui.js';

export interface ServerOptions {
  /** Overrides config.logLevel (the CLI's --verbose, tests' silence). */
  logLevel?: CicloConfig['logLevel'];
  /** Where the log goes instead of stdout (tests read what the server logged). */
  logStream?: NodeJS.WritableStream;
  /** Overrides config.auth: every non-public route needs an API token. */
  auth?: boolean;
  /** Failed authentications allowed per client address (tests shorten the window). */
  failedAuthLimits?: FailedAuthLimits;
  /** Tokens known only to this process (the token the server gives the steps it starts). */
  ephemeralPrincipals?: ReadonlyMap<string, Principal>;
  /** Runs the deployments (`ciclo server`): their replicas' addresses are shown and `/serve/{name}/…` answers. */
  supervisor?: DeploymentSupervisor;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with the access it declares: the authorization matrix test walks it. */
    cicloRoutes: readonly RouteEntry[];
  }
}

/**
 * What every Ciclo HTTP app shares, before its routes: logging, body limit and guards, the error
 * answer, security headers and access control (every route declares its access; default deny).
 * The API server (buildServer) and the standalone scoring server (scoring-server.ts) start from it.
 */
export function buildBaseApp(context: CicloContext, options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? context.config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    bodyLimit: context.config.maxBodyBytes,
  });
  app.setValidatorCompiler(strictNativeValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptEmptyJsonBodies(app);
  refuseUnstorableQueryText(app);
  installErrorHandlers(app);
  installSecurityHeaders(app);
  // Before any route, so that every route is checked and listed.
  const routes = installAccessControl(app, {
    control: context.access,
    audit: context.audit,
    enabled: options.auth ?? context.config.auth ?? false,
    ...(options.failedAuthLimits ? { limits: options.failedAuthLimits } : {}),
    ...(options.ephemeralPrincipals ? { ephemeral: options.ephemeralPrincipals } : {}),
  });
  app.decorate('cicloRoutes', routes);
  installHttpMetrics(app, context.metrics.registry);
  return app;
}

/**
 * The HTTP face of a context: mounts each capability's routes plugin, validates every request with
 * its zod schema and answers every failure through one error handler. Not listening yet: `inject()`
 * works as is, startServer() listens.
 */
export function buildServer(context: CicloContext, options: ServerOptions = {}): FastifyInstance {
  const app = buildBaseApp(context, options);
  const { tracking } = context;
  registerOpenApi(app);
  void app.register(async (scope) => addMetricsRoute(scope, context.metrics.registry));
  void app.register(healthRoutes, { prefix: '/api/v1', database: context.database.dialect });
  void app.register(trackingRoutes, { prefix: '/api/v1', tracking });
  void app.register(lineageRoutes, { prefix: '/api/v1', lineage: context.lineage });
  void app.register(datasetRoutes, { prefix: '/api/v1', datasets: context.datasets });
  void app.register(triggerRoutes, { prefix: '/api/v1', pipelines: context.pipelines });
  void app.register(featureRoutes, { prefix: '/api/v1', features: context.features });
  void app.register(registryRoutes, { prefix: '/api/v1', registry: context.registry });
  void app.register(async (mlflow) => {
    answerAsBuilt(mlflow);
    await mlflow.register(mlflowRoutes, { tracking });
    await mlflow.register(mlflowRegistryRoutes, { registry: context.registry, tracking });
  });
  void app.register(accessRoutes, { prefix: '/api/v1', control: context.access, audit: context.audit });
  void app.register(approvalRoutes, { prefix: '/api/v1', approvals: context.approvals });
  const { deployments } = context;
  const supervisor = options.supervisor;
  void app.register(deploymentRoutes, { prefix: '/api/v1', deployments, ...(supervisor ? { supervisor } : {}) });
  void app.register(alertRoutes, { prefix: '/api/v1', alerts: context.alerts });
  void app.register(monitorRoutes, { prefix: '/api/v1', monitors: context.monitors });
  if (supervisor !== undefined) {
    void app.register(proxyRoutes, { deployments, supervisor, metrics: context.metrics });
  }
  // Last: its `/*` answers the single-page app's deep links, after every API route has its own path.
  void app.register(webUiRoutes);
  return app;
}

/**
 * MLflow's answers are MLflow's contract: their schemas describe them in the OpenAPI document, and
 * the mapping functions that build them are typed by those schemas, but they are written as built.
 * Parsing them again would drop any field a schema missed (a silent break for MLflow clients) and
 * costs time on the hottest routes (runs/search, log-batch).
 */
function answerAsBuilt(mlflow: FastifyInstance): void {
  mlflow.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/**
 * Clients that set `content-type: application/json` on every call also set it on DELETEs and
 * restores that carry no body; an empty body then means "no body", not malformed JSON. Every JSON
 * body passes here, before any hook sees it (access control reads bodies in preValidation): parsed,
 * and its prototype keys, depth and text checked in one walk, for every route (parseJsonBody).
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body as string);
    } catch (refused) {
      return done(refused as Error, undefined);
    }
    done(null, parsed);
  });
}

/** The query string and path parameters hold text too; checked before any other hook reads them. */
function refuseUnstorableQueryText(app: FastifyInstance): void {
  // A callback hook: an async one costs every request a promise for a check that never waits.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      checkRequestValue(request.query, 'query');
      checkRequestValue(request.params, 'path');
    } catch (refused) {
      done(refused as Error);
      return;
    }
    done();
  });
}
