import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ciclo, CorruptArtifactError } from '../../src/sdk/index.js';
import { runCli } from '../cli/run-cli.js';
import { DIALECTS } from '../support/databases.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';
import { MODES } from '../sdk/modes.js';
import { readAll } from './streams.js';

const FIVE_MIB = 5 * 1024 * 1024;

/** Logs 5 MiB at `model/weights.bin` and flips one byte in the middle of its stored blob. */
async function logAndCorrupt(ciclo: Ciclo, artifactRoot: string, dir: string): Promise<string> {
  const local = join(dir, 'weights.bin');
  writeFileSync(local, randomBytes(FIVE_MIB));
  const run = await ciclo.startRun({ experiment: 'corrupt', captureCode: false });
  const { digest } = await ciclo.api.logArtifactFile(run.id, local, 'model/weights.bin');
  await run.end();
  flipMiddleByte(artifactRoot, digest);
  return run.id;
}

function flipMiddleByte(artifactRoot: string, digest: string): void {
  const hex = digest.slice('sha256:'.length);
  const blob = join(artifactRoot, 'sha256', hex.slice(0, 2), hex.slice(2));
  chmodSync(blob, 0o600);
  const bytes = readFileSync(blob);
  bytes[bytes.length >> 1]! ^= 0x01;
  writeFileSync(blob, bytes);
}

describe.each(MODES)('a corrupt artifact through the SDK ($name)', (mode) => {
  const temp = makeTempDir('ciclo-corrupt-sdk-');
  let connected: Awaited<ReturnType<typeof mode.connect>>;
  beforeAll(async () => {
    connected = await mode.connect();
  });
  afterAll(async () => {
    await connected.stop();
    temp.remove();
  });

  it('fails to open with CORRUPT_ARTIFACT naming the run and path, before any byte is read', async () => {
    const runId = await logAndCorrupt(connected.ciclo, connected.artifactRoot, temp.dir);
    const opened = connected.ciclo.api.openArtifact(runId, 'model/weights.bin');
    await expect(opened).rejects.toBeInstanceOf(CorruptArtifactError);
    await expect(opened).rejects.toMatchObject({
      code: 'CORRUPT_ARTIFACT',
      message: expect.stringContaining(`model/weights.bin of run ${runId}`),
      details: { where: 'model/weights.bin' },
    });
  });
});

describe.each(DIALECTS)('downloading a corrupt or cut-short artifact with the CLI and SDK (%s)', (dialect) => {
  let test: TestContext;
  let server: TestServer;
  let ciclo: Ciclo;
  let runId: string;
  beforeAll(async () => {
    test = await openTestContext(dialect);
    server = await startTestServer(dialect);
    ciclo = await Ciclo.connect({ config: test.config });
    runId = await logAndCorrupt(ciclo, test.config.artifactRoot, test.dir);
  });
  afterAll(async () => {
    await ciclo.close();
    await server.stop();
    await test.drop();
  });

  const embeddedEnv = () => ({
    CICLO_HOME: test.dir,
    CICLO_DATABASE_URL: test.database.url,
    CICLO_ARTIFACT_ROOT: test.config.artifactRoot,
  });

  it('exits 1 with CORRUPT_ARTIFACT and the path, and writes no file (embedded)', async () => {
    const out = join(test.dir, 'downloaded.bin');
    const result = await runCli(['artifacts', 'get', runId, 'model/weights.bin', '--out', out], embeddedEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CORRUPT_ARTIFACT');
    expect(result.stderr).toContain(`model/weights.bin of run ${runId}`);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 1 with CORRUPT_ARTIFACT and the path, and prints none of its bytes (remote)', async () => {
    const remote = await Ciclo.connect({ trackingUri: server.url });
    try {
      const remoteRun = await logAndCorrupt(remote, server.context.config.artifactRoot, test.dir);
      const result = await runCli(['artifacts', 'get', remoteRun, 'model/weights.bin'], {
        CICLO_TRACKING_URI: server.url,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('CORRUPT_ARTIFACT');
      expect(result.stderr).toContain(`model/weights.bin of run ${remoteRun}`);
      expect(result.stderr).not.toContain('terminated');
    } finally {
      await remote.close();
    }
  });

  it('names the artifact when a remote download is cut short, instead of a bare "terminated"', async () => {
    const remote = await Ciclo.connect({ trackingUri: server.url });
    const proxy = await startCuttingProxy(new URL(server.url), 1024 * 1024);
    try {
      const run = await remote.startRun({ experiment: 'cut', captureCode: false });
      const local = join(test.dir, 'cut.bin');
      writeFileSync(local, randomBytes(FIVE_MIB));
      await remote.api.logArtifactFile(run.id, local, 'cut.bin');
      await run.end();
      const throughProxy = await Ciclo.connect({ trackingUri: proxy.url });
      try {
        await expect(readAll(await throughProxy.api.openArtifact(run.id, 'cut.bin'))).rejects.toThrow(
          `the download of artifact cut.bin of run ${run.id} was cut short`,
        );
      } finally {
        await throughProxy.close();
      }
    } finally {
      proxy.close();
      await remote.close();
    }
  });

  it('still downloads an intact artifact whole', async () => {
    const local = join(test.dir, 'intact.bin');
    const bytes = randomBytes(FIVE_MIB + 3);
    writeFileSync(local, bytes);
    await ciclo.api.logArtifactFile(runId, local, 'intact.bin');
    expect((await readAll(await ciclo.api.openArtifact(runId, 'intact.bin'))).equals(bytes)).toBe(true);
  });
});

/** A TCP proxy in front of a real server that drops the connection once `limit` bytes of answers have passed. */
async function startCuttingProxy(target: URL, limit: number): Promise<{ url: string; close(): void }> {
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    let passed = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      passed += chunk.length;
      if (passed > limit) {
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => proxy.close() };
}
