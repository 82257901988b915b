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
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
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
      config: { access: access.server('read') },
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
