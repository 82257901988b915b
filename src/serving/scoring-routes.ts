import { randomUUID } from 'node:crypto';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onResponseHookHandler,
} from 'fastify';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import type { RouteAccess } from '../governance/index.js';
import { toErrorResponse } from '../http/index.js';
import { frameToRecords, type Frame } from './frame.js';
import { frameOfCsv, frameOfInvocation } from './protocols/mlflow-input.js';
import { frameOfInfer, inferOutputs, tensorMetadata } from './protocols/oip.js';
import type { RequestCapture } from './capture/capture.js';
import type { ServingMetrics } from './metrics.js';
import type { ServedModel } from './served-model.js';

export interface ScoringRouteOptions {
  /** The model this request scores with: the standalone server's one model, a deployment's current version. */
  model: (request: FastifyRequest) => ServedModel;
  /** Who may score and read the model's metadata (its project, `read`). */
  access: RouteAccess;
  /** What `/version` and the OIP server metadata answer. */
  serverVersion: string;
  /** Where each scoring request's status and latency go, labelled with the deployment ('' for `ciclo serve`). */
  metrics?: ServingMetrics;
  deployment?: string;
  /** Sampled capture of what was asked and answered. */
  capture?: RequestCapture;
  /** Stores ground truth for a request id (`POST /feedback`); without it the route answers 404. */
  feedback?: (requestId: string, label: unknown) => Promise<void>;
  /** Who may send feedback (`write` on the model's project). */
  feedbackAccess?: RouteAccess;
}

/**
 * Both scoring protocols on one model. MLflow's scoring server: `POST /invocations`, `GET /ping`,
 * `/health`, `/version`, errors in Ciclo's `{error_code, message, where, hint}` (MLflow's own shape
 * plus where and hint). The Open Inference Protocol v2 under `/v2`, whose errors are `{"error": "…"}`
 * as the protocol says. Probes are public, as load balancers call them without a token.
 */
export const scoringRoutes: FastifyPluginAsync<ScoringRouteOptions> = async (app, options) => {
  const counted =
    options.metrics === undefined
      ? () => ({})
      : scoringCounter(options.metrics, options.deployment ?? '', options.model);
  await app.register(async (mlflow) => mlflowRoutes(mlflow, options, counted('mlflow')));
  await app.register(async (oip) => oipRoutes(oip, options, counted('oip')), { prefix: '/v2' });
};

const probe: RouteAccess = { public: 'health probe for load balancers and orchestrators' };

function mlflowRoutes(app: FastifyInstance, options: ScoringRouteOptions, counted: Counted): void {
  const { model, access, serverVersion } = options;
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  for (const path of ['/ping', '/health']) {
    app.get(path, { config: { access: probe, actorless: true } }, async (request, reply) => {
      model(request);
      return reply.type('text/plain').send('\n');
    });
  }
  app.get('/version', { config: { access: probe, actorless: true } }, async (_request, reply) =>
    reply.type('text/plain').send(serverVersion),
  );
  app.post('/invocations', { config: { access, actorless: true }, ...counted }, async (request, reply) => {
    const served = model(request);
    const frame = isCsv(request)
      ? frameOfCsv(request.body as string, served.inputs)
      : frameOfInvocation(request.body, served.inputs);
    return { predictions: predictionsOf(await scoreAndCapture(request, reply, served, frame, 'mlflow', options)) };
  });
  app.post('/feedback', { config: { access: options.feedbackAccess ?? access } }, async (request, reply) => {
    if (options.feedback === undefined) throw new NotFoundError('this endpoint keeps no feedback');
    const { requestId, label } = feedbackOf(request.body);
    await options.feedback(requestId, label);
    return reply.code(204).send();
  });
}

/**
 * Scores the frame and offers the exchange to the capture; the answer carries the request id
 * (`x-request-id`: the caller's when it sent a usable one, else a new UUID), which feedback names later.
 */
async function scoreAndCapture(
  request: FastifyRequest,
  reply: FastifyReply,
  served: ServedModel,
  frame: Frame,
  protocol: string,
  options: ScoringRouteOptions,
): Promise<Frame> {
  const requestId = requestIdOf(request);
  void reply.header('x-request-id', requestId);
  const started = performance.now();
  const answer = await served.score(frame);
  options.capture?.offer({
    requestId,
    time: Date.now(),
    model: served.name,
    version: served.version,
    protocol,
    latencyMs: performance.now() - started,
    inputs: frame,
    outputs: answer,
  });
  return answer;
}

const USABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when usable, else a new one: the id capture and feedback join on. */
export function requestIdOf(request: FastifyRequest): string {
  const sent = request.headers['x-request-id'];
  return typeof sent === 'string' && USABLE_REQUEST_ID.test(sent) ? sent : randomUUID();
}

function feedbackOf(body: unknown): { requestId: string; label: unknown } {
  const {
    request_id: requestId,
    label,
    ...rest
  } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const hint = 'Send {"request_id": "<the x-request-id of the answer>", "label": <the true value>}.';
  if (typeof requestId !== 'string' || !USABLE_REQUEST_ID.test(requestId)) {
    throw new InvalidInputError('request_id must be the x-request-id of a scored request', {
      where: 'request_id',
      hint,
    });
  }
  if (label === undefined) throw new InvalidInputError('label is missing', { where: 'label', hint });
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new InvalidInputError(`unknown field '${unknown[0]}'`, { where: unknown[0]!, hint });
  return { requestId, label };
}

/** The scoring routes' own `onResponse` hook, when metrics are kept. */
type Counted = { onResponse?: onResponseHookHandler };

/**
 * Scoring answers by protocol and status, and their latency: from the request read to the answer
 * sent, refusals included (a 400 costs the caller as much as a prediction). Probes and metadata are not counted.
 * A hook on the scoring routes alone, so no other request pays for it or has its route looked up; each
 * series' label objects are made once (per model version, protocol and status): building them and the
 * status string on every request cost more than prom-client's update itself.
 */
function scoringCounter(
  metrics: ServingMetrics,
  deployment: string,
  model: (request: FastifyRequest) => ServedModel,
): (protocol: 'mlflow' | 'oip') => Counted {
  const series = new WeakMap<ServedModel, Map<number, ScoringLabels>>();
  return (protocol) => ({
    onResponse: (request, reply, done) => {
      let served: ServedModel;
      try {
        served = model(request);
      } catch {
        return done();
      }
      let byAnswer = series.get(served);
      if (byAnswer === undefined) series.set(served, (byAnswer = new Map<number, ScoringLabels>()));
      const key = reply.statusCode * 2 + (protocol === 'oip' ? 1 : 0);
      let labels = byAnswer.get(key);
      if (labels === undefined) {
        const version = { deployment, model: served.name, version: String(served.version), protocol };
        labels = { version, withStatus: { ...version, status: String(reply.statusCode) } };
        byAnswer.set(key, labels);
      }
      metrics.requests.inc(labels.withStatus);
      metrics.latency.observe(labels.version, reply.elapsedTime / 1000);
      done();
    },
  });
}

interface ScoringLabels {
  version: { deployment: string; model: string; version: string; protocol: string };
  withStatus: { deployment: string; model: string; version: string; protocol: string; status: string };
}

/** One output column answers a list of values (as MLflow does for one output), several a list of records. */
function predictionsOf(frame: Frame): unknown {
  if (frame.columns.size === 1) return [...frame.columns.values()][0];
  return frameToRecords(frame);
}

function isCsv(request: FastifyRequest): boolean {
  return /^(text|application)\/csv\b/i.test(request.headers['content-type'] ?? '');
}

interface ModelParams {
  name: string;
  version?: string;
}

function oipRoutes(app: FastifyInstance, options: ScoringRouteOptions, counted: Counted): void {
  const { model, access, serverVersion } = options;
  // The same status and message as every other route gives, in the protocol's `{error}`.
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorResponse(error as FastifyError, request);
    if (status >= 500) request.log.error({ err: error }, 'inference request failed');
    return reply.code(status).send({ error: body.message });
  });
  app.get('/health/live', { config: { access: probe, actorless: true } }, async () => ({ live: true }));
  app.get('/health/ready', { config: { access: probe, actorless: true } }, async (request) => {
    model(request);
    return { ready: true };
  });
  app.get('', { config: { access: probe, actorless: true } }, async () => ({
    name: 'ciclo',
    version: serverVersion,
    extensions: [],
  }));
  for (const path of ['/models/:name', '/models/:name/versions/:version']) {
    app.get<{ Params: ModelParams }>(path, { config: { access, actorless: true } }, async (request) => {
      const served = named(model(request), request.params);
      return {
        name: served.name,
        versions: [String(served.version)],
        platform: `ciclo-${served.runtime}`,
        inputs: served.inputs.map(tensorMetadata),
        outputs: served.outputs.map(tensorMetadata),
      };
    });
    app.get<{ Params: ModelParams }>(`${path}/ready`, { config: { access, actorless: true } }, async (request) => {
      const served = named(model(request), request.params);
      return { name: served.name, ready: true };
    });
    const route = { config: { access, actorless: true as const }, ...counted };
    app.post<{ Params: ModelParams }>(`${path}/infer`, route, async (request, reply) => {
      const served = named(model(request), request.params);
      const { frame, id, outputs } = frameOfInfer(request.body, served.inputs);
      const answer = await scoreAndCapture(request, reply, served, frame, 'oip', options);
      return {
        model_name: served.name,
        model_version: String(served.version),
        ...(id === undefined ? {} : { id }),
        outputs: inferOutputs(answer, served.outputs, outputs),
      };
    });
  }
}

/** The model the path names must be the one served here: another name or version is not found, never scored here. */
function named(served: ServedModel, params: ModelParams): ServedModel {
  if (params.name !== served.name || (params.version !== undefined && params.version !== String(served.version))) {
    const asked = params.version === undefined ? params.name : `${params.name}/${params.version}`;
    throw new NotFoundError(
      `model '${asked}' is not served here (this endpoint serves ${served.name}/${served.version})`,
    );
  }
  return served;
}
