/**
 * The baseline of the online lookup benchmark, in a process of its own: node:http and one prepared
 * better-sqlite3 statement over the same online store file. argv: the SQLite file. Prints its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';

const db = new Database(process.argv[2], { readonly: true });
const select = db.prepare('SELECT event_time, feature_values FROM online_features WHERE view = ? AND entity_key = ?');
const server = createServer((request, response) => {
  let text = '';
  request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  request.on('end', () => {
    const { view, entities } = JSON.parse(text) as { view: string; entities: Array<Record<string, unknown>> };
    const results = entities.map(
      (entity) => select.get(view, JSON.stringify(Object.values(entity).map(String))) ?? null,
    );
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
