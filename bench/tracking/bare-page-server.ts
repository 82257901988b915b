/**
 * The floor of the read-back: node:http answering every request with one `runs/search` page Ciclo gave, held
 * as parsed objects and serialized again per request, as any server of that page must. No database, no mapping.
 * argv: the page's JSON file. Prints its URL.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const page = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as unknown;
const server = createServer((request, response) => {
  request.resume().on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
