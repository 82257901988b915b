import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { startUrlPrinter, type ServerProcess } from '../tracking/server-process.js';

/** The baseline: node:http streaming a file, no lookup, no check, in a process of its own like `ciclo server`. */
export function startBareFileServer(): Promise<ServerProcess> {
  return startUrlPrinter(['--import', 'tsx', fileURLToPath(import.meta.url)]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = createServer((request, response) => {
    const file = new URL(request.url ?? '/', 'http://localhost').searchParams.get('file') ?? '';
    void stat(file).then(
      async (stats) => {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': stats.size });
        await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), response);
      },
      () => response.writeHead(404).end(),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object')
      console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
