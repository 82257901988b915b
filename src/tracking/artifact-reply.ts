import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { ArtifactFile } from '../artifacts/index.js';
import { attachmentDisposition } from '../http/index.js';

/**
 * Streams an artifact. Its content was verified against its digest before this is called (the
 * blob store hashes a blob before giving out its first byte), so a corrupt blob never gets a 200:
 * it fails earlier with CORRUPT_ARTIFACT, which the error handler answers (500) and logs.
 */
export function sendArtifact(
  reply: FastifyReply,
  { file, content }: { file: ArtifactFile; content: Readable },
): FastifyReply {
  return reply
    .type('application/octet-stream')
    .header('content-length', file.sizeBytes)
    .header('x-ciclo-digest', file.digest)
    .header('content-disposition', attachmentDisposition(file.path))
    .send(content);
}
