import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ArtifactFile } from '../artifacts/index.js';
import { attachmentDisposition } from '../server/security-headers.js';

/**
 * Streams a verified artifact. The verifying stream holds back its last chunk until the digest
 * checks, so waiting for the first readable data means a corrupt file that fits in one chunk fails
 * before any header is sent (a clean CORRUPT_ARTIFACT answer); a larger one is cut short mid-body.
 */
export async function sendArtifact(
  reply: FastifyReply,
  { file, content }: { file: ArtifactFile; content: Readable },
): Promise<FastifyReply> {
  await Promise.race([once(content, 'readable'), once(content, 'end')]);
  return reply
    .type('application/octet-stream')
    .header('content-length', file.sizeBytes)
    .header('x-ciclo-digest', file.digest)
    .header('content-disposition', attachmentDisposition(file.path))
    .send(content);
}
