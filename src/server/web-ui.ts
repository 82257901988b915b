import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { packagePath } from '../common/package-files.js';
import { access } from '../governance/index.js';

/** Where `npm run build` writes the web UI (ui/vite.config.ts). */
export const WEB_UI_ROOT = packagePath('dist', 'ui');

/**
 * First path segments the UI never owns: the APIs, the scoring proxy and the probes. A GET there that
 * no route answers is the server's 404, never the UI's page, so a client that mistyped an API path
 * reads an error and not HTML.
 */
const NOT_UI = new Set(['api', 'ajax-api', 'serve', 'metrics', 'health', 'ping', 'version', 'v2', 'invocations']);

/**
 * The UI's page is the one entry point to the API from a browser: it loads only its own files and
 * talks only to this origin; no page may frame it (clickjacking an approve button).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const Page = z.string().describe('the web UI (text/html), or one of its files');
const schema = { tags: ['ui'], response: { 200: Page } };
const PUBLIC = access.public('the web UI: static files, the same for everyone; its data comes from /api/v1');

/**
 * The web UI (ui/, built into dist/ui/): `/` and any deep link of the single-page app answer
 * index.html, never cached, so a new build is picked up at once; `/assets/…`, whose names carry a
 * hash of their content, are cached for a year. The files are public (they hold no data); every
 * request the page makes goes to `/api/v1` with the caller's token and is judged there.
 */
export async function webUiRoutes(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? WEB_UI_ROOT;
  // serve: false: only reply.sendFile; the routes are ours, so each declares its access.
  await app.register(fastifyStatic, { root, serve: false, index: false, wildcard: false });

  app.get('/', { schema, config: { access: PUBLIC } }, (_request, reply) => sendPage(reply, root));

  app.get('/assets/*', { schema, config: { access: PUBLIC } }, (request, reply) => {
    const file = wildcard(request);
    // Content-hashed names: a changed file is a new URL, so a year and immutable are safe.
    return reply.sendFile(join('assets', file), { maxAge: '365d', immutable: true, dotfiles: 'deny' });
  });

  app.get('/*', { schema, config: { access: PUBLIC } }, (request, reply) => {
    const path = wildcard(request);
    const first = path.split('/')[0] ?? '';
    if (NOT_UI.has(first)) return reply.callNotFound();
    // A file at the top of the build (the icon) by its name; anything else is a page of the app.
    if (!path.includes('/') && /\.[a-z0-9]+$/i.test(path) && existsSync(join(root, path)) && path !== 'index.html')
      return reply.sendFile(path, { maxAge: '1h', dotfiles: 'deny' });
    return sendPage(reply, root);
  });
}

function wildcard(request: FastifyRequest): string {
  return (request.params as { '*'?: string })['*'] ?? '';
}

function sendPage(reply: FastifyReply, root: string): FastifyReply {
  if (!existsSync(join(root, 'index.html'))) {
    return reply
      .code(404)
      .type('application/json')
      .send(
        JSON.stringify({
          error_code: 'ENDPOINT_NOT_FOUND',
          message: 'the web UI is not built',
          hint: 'run `npm run build` (npm install runs it) to build ui/ into dist/ui/',
        }),
      );
  }
  return reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('referrer-policy', 'no-referrer')
    .sendFile('index.html', { cacheControl: false, dotfiles: 'deny' });
}
