import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import { access } from '../governance/index.js';

/**
 * Every answer counted by route pattern (never the raw URL: ids would make a series per run) and
 * status, and `GET /metrics` in Prometheus' text format. The metric objects are made once per
 * registry, as a process may build several apps over one context (tests do).
 */
export function installHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const requests = counter(registry);
  const latency = histogram(registry);
  const series = new SeriesLabels();
  // A callback hook, and label objects made once per series: prom-client's update is cheap with a label object
  // it has seen the shape of; building two objects and a status string on every request cost more than the update.
  app.addHook('onResponse', (request, reply, done) => {
    const labels = series.of(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode);
    requests.inc(labels.withStatus);
    latency.observe(labels.route, reply.elapsedTime / 1000);
    done();
  });
}

interface RouteLabels {
  route: { method: string; route: string };
  withStatus: { method: string; route: string; status: string };
}

/** The label objects of each (method, route pattern, status) answered; route patterns and statuses are few. */
class SeriesLabels {
  readonly #byRoute = new Map<string, Map<string, Map<number, RouteLabels>>>();

  of(method: string, route: string, status: number): RouteLabels {
    let routes = this.#byRoute.get(method);
    if (routes === undefined) this.#byRoute.set(method, (routes = new Map<string, Map<number, RouteLabels>>()));
    let statuses = routes.get(route);
    if (statuses === undefined) routes.set(route, (statuses = new Map<number, RouteLabels>()));
    let labels = statuses.get(status);
    if (labels === undefined) {
      labels = { route: { method, route }, withStatus: { method, route, status: String(status) } };
      statuses.set(status, labels);
    }
    return labels;
  }
}

/** `GET /metrics`; added after the OpenAPI plugin, which documents only the routes added after it. */
export function addMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['server'],
        summary: 'Prometheus metrics: HTTP requests by route, and serving (requests, latency, batches, load time)',
        response: { 200: z.string().describe('the Prometheus text exposition format') },
      },
      // Counts and timings by route and model, no payloads; Prometheus scrapes with a token of a server-wide reader.
      config: { access: access.server('read'), actorless: true },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}

function counter(registry: Registry): Counter<'method' | 'route' | 'status'> {
  const existing = registry.getSingleMetric('ciclo_http_requests_total');
  if (existing !== undefined) return existing as Counter<'method' | 'route' | 'status'>;
  return new Counter({
    name: 'ciclo_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
}

function histogram(registry: Registry): Histogram<'method' | 'route'> {
  const existing = registry.getSingleMetric('ciclo_http_request_duration_seconds');
  if (existing !== undefined) return existing as Histogram<'method' | 'route'>;
  return new Histogram({
    name: 'ciclo_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, in seconds.',
    labelNames: ['method', 'route'],
    registers: [registry],
  });
}
