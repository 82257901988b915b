import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { runCli } from '../cli/run-cli.js';
import { openTestContext } from '../support/context.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../support/s3-server.js';
import { makeTempDir } from '../support/temp.js';

// NODE_DEBUG=module makes Node name every CommonJS module it loads on stderr: the AWS SDK is one.
const SDK_LOADED = /@aws-sdk[\\/]client-s3/;
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
};

describe('the ciclo command with CICLO_ARTIFACT_STORE', () => {
  let server: S3TestServer;
  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    await server.close();
  });

  it('loads no AWS SDK module for a command on a local store', async () => {
    const home = makeTempDir();
    try {
      const result = await runCli(['experiments', 'list'], { CICLO_HOME: home.dir, NODE_DEBUG: 'module' });
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(SDK_LOADED);
    } finally {
      home.remove();
    }
  });

  it('checks an S3 store with ciclo fsck, loading the SDK only then', async () => {
    const location = await server.newLocation('fsck');
    for (const [name, value] of Object.entries(AWS_ENV)) vi.stubEnv(name, value);
    const test = await openTestContext('sqlite', { s3: location });
    try {
      const { runId } = (await test.context.tracking.createRun({ experimentId: '0' })).info;
      await test.context.tracking.logArtifact(runId, 'model/w.bin', Readable.from([Buffer.from('weights')]));
      const result = await runCli(['fsck', '--json'], {
        ...configEnvironment(test.config),
        ...AWS_ENV,
        NODE_DEBUG: 'module',
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ corrupt: [], missing: [] });
      expect(result.stderr).toMatch(SDK_LOADED);
    } finally {
      await test.drop();
      server.removeBucket(location.bucket);
      vi.unstubAllEnvs();
    }
  });

  it('exits 1 with the endpoint and the cause, and no stack trace, when the bucket is missing', async () => {
    const home = makeTempDir();
    try {
      const result = await runCli(['experiments', 'list'], {
        CICLO_HOME: home.dir,
        CICLO_ARTIFACT_STORE: 's3://no-such-bucket/ciclo',
        CICLO_S3_ENDPOINT: server.endpoint,
        ...AWS_ENV,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `ARTIFACT_STORE_UNAVAILABLE: artifact store s3://no-such-bucket/ciclo at ${server.endpoint} ` +
          'failed to open its bucket: bucket "no-such-bucket" does not exist',
      );
      expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    } finally {
      home.remove();
    }
  });
});
