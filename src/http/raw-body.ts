import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CicloError } from '../common/errors.js';

/** Artifacts are not JSON: they bypass the JSON body limit and get this one instead. */
export const MAX_ARTIFACT_BYTES = 64 * 1024 ** 3;

/**
 * A raw body or answer (a file's bytes, streamed): declared in a route's schema so that the OpenAPI
 * document describes it as application/octet-stream (server/openapi.ts finds it by its format). It
 * checks nothing: the stream is the store's to read, and a zero-byte upload may arrive as no body.
 */
export const RawBytes = z
  .custom<Readable>()
  .meta({ format: 'binary' })
  .describe('The raw bytes (application/octet-stream)');

/**
 * Makes every body in this (encapsulated) instance a raw stream, whatever its content type, so
 * uploads go to the artifact store without being buffered. MLflow clients send the file's guessed
 * type (text/plain, application/json, …) rather than application/octet-stream, hence the wildcard.
 * Fastify enforces no limit on a pass-through parser, so the limit is counted here.
 */
export function acceptRawBodies(instance: FastifyInstance, limit: number = MAX_ARTIFACT_BYTES): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', (request, payload, done) => {
    if (Number(request.headers['content-length']) > limit) {
      done(tooLarge(limit), undefined);
      return;
    }
    done(null, Readable.from(limitBytes(payload, limit), { objectMode: false }));
  });
}

/**
 * Lazy: nothing is read until the consumer pulls, so a request refused before its body is used
 * (unknown run, bad path) leaves the body to Node, which drains it and keeps the connection usable.
 * A consumer that stops part-way (the artifact store's disk is full) must not destroy the request,
 * which would reset the connection before the error is answered: the rest of the body is drained
 * instead, as Node does for a body nobody read. A body over the limit is not worth draining.
 */
async function* limitBytes(source: Readable, limit: number): AsyncGenerator<Buffer> {
  let total = 0;
  let drain = true;
  try {
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        drain = false;
        source.destroy();
        throw tooLarge(limit);
      }
      yield chunk;
    }
  } finally {
    if (drain && !source.readableEnded) source.resume();
  }
}

function tooLarge(limit: number): CicloError {
  return new CicloError('REQUEST_TOO_LARGE', `the artifact is larger than the ${limit} bytes this server accepts`, {
    hint: 'split the artifact into smaller files',
  });
}
