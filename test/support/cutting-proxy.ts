import { createConnection, createServer, type Socket } from 'node:net';

export interface CuttingProxy {
  port: number;
  /** The HTTP request lines (`PUT /bucket/key?partNumber=1&uploadId=… HTTP/1.1`) that went through. */
  requests: string[];
  close(): Promise<void>;
}

const REQUEST_LINE = /^(?:GET|PUT|POST|HEAD|DELETE) \S+ HTTP\/1\.1$/;

/**
 * A TCP proxy on a loopback port to `targetPort` that drops every connection once `cutAfterBytes` bytes in
 * all have gone towards the server, and every connection after that: a network that fails mid-upload and
 * stays down, so the client's retries fail too.
 */
export async function startCuttingProxy(targetPort: number, cutAfterBytes = Infinity): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let sent = 0;
  const server = createServer((client) => {
    if (sent >= cutAfterBytes) return void client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    const dropBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', dropBoth).on('error', dropBoth);
    upstream.on('close', dropBoth).on('error', dropBoth);
    client.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('latin1').split('\r\n')) if (REQUEST_LINE.test(line)) requests.push(line);
      sent += chunk.length;
      if (sent >= cutAfterBytes) {
        for (const socket of sockets) socket.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
