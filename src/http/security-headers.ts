import type { FastifyInstance } from 'fastify';

/**
 * Every answer is exactly what its Content-Type says: a browser must not sniff an artifact or an
 * error message (user-supplied text) into HTML or script. onSend runs for errors and 404s too.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
}

/**
 * `Content-Disposition` for a served file: `attachment`, so a browser saves it instead of rendering
 * it in the server's origin, named after the last segment of its path. The quoted name keeps only
 * printable ASCII (no quote or backslash); `filename*` (RFC 6266/8187) carries the exact UTF-8 name.
 */
export function attachmentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
