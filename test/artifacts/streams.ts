import { Readable } from 'node:stream';

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A source that yields `head`, then fails the way a dropped upload does. */
export function failingSource(head: Buffer, error: Error): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) this.destroy(error);
      else {
        sent = true;
        this.push(head);
      }
    },
  });
}
