import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3Credentials } from '../../src/artifacts/index.js';
import type { S3Location } from '../../src/common/s3-location.js';
import { makeTempDir } from './temp.js';

/** s3rver's one built-in account. */
export const S3RVER_CREDENTIALS: S3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3TestServer {
  endpoint: string;
  port: number;
  /** A client of the test's own, for looking at (or damaging) what a store wrote. */
  client: S3Client;
  /** A new empty bucket and a location inside it (`prefix`), for one test. */
  newLocation(prefix?: string): Promise<S3Location>;
  /** Makes the object look last written `ageMs` ago (s3rver answers a file's mtime as LastModified). */
  age(bucket: string, key: string, ageMs: number): void;
  /** Removes the bucket's objects and the bucket (s3rver keeps them as plain folders). */
  removeBucket(bucket: string): void;
  close(): Promise<void>;
}

let buckets = 0;

/** s3rver, a real S3-protocol server, on a loopback port of its own, storing into a temp folder. */
export async function startS3Server(): Promise<S3TestServer> {
  const temp = makeTempDir('ciclo-s3rver-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: temp.dir });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    port,
    client,
    newLocation: async (prefix = 'team/artifacts') => {
      const bucket = `ciclo-test-${process.pid}-${++buckets}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return { bucket, prefix, endpoint, region: 'us-east-1', forcePathStyle: true };
    },
    age: (bucket, key, ageMs) => {
      const then = new Date(Date.now() - ageMs);
      utimesSync(join(temp.dir, bucket, `${key}._S3rver_object`), then, then);
    },
    removeBucket: (bucket) => rmSync(join(temp.dir, bucket), { recursive: true, force: true }),
    close: async () => {
      client.destroy();
      await server.close();
      temp.remove();
    },
  };
}
