import { randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, get, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { openContext } from '../../src/app/context.js';
import { sha256DigestOfFile } from '../../src/artifacts/index.js';
import { createTestDatabase } from '../../test/support/databases.js';
import { makeTempDir } from '../../test/support/temp.js';
import { elapsedMs, fmt } from '../stats.js';
import { startServerProcess } from '../tracking/server-process.js';
import { startBareFileServer } from './bare-file-server.js';

const MiB = 1024 * 1024;
const SIZES_MIB = [5, 100];
const REPEATS = 7;

/**
 * bench/artifacts: what verifying every byte served costs. One artifact per size, downloaded over
 * HTTP from `ciclo server` (in a process of its own: the blob is hashed whole before its first byte
 * is sent, then streamed) next to, in the same run, reading the blob file raw in this process and a
 * bare node:http server streaming the same file without any check, and sha256 of the file alone
 * (the check's own cost). MB/s is the median of the repeats.
 */
export async function benchArtifacts(): Promise<string[]> {
  const database = await createTestDatabase('sqlite');
  const home = makeTempDir('ciclo-bench-artifacts-');
  const lines: string[] = [];
  try {
    const artifactRoot = join(home.dir, 'artifacts');
    const context = await openContext({
      home: home.dir,
      database: database.location,
      artifactRoot,
      logLevel: 'silent',
      maxBodyBytes: 16 * MiB,
    });
    const experiment = await context.tracking.createExperiment({ name: 'bench-artifacts' });
    const runId = (await context.tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
    const blobs: { sizeMiB: number; path: string; blobFile: string }[] = [];
    for (const sizeMiB of SIZES_MIB) {
      const local = join(home.dir, `payload-${sizeMiB}.bin`);
      writeFileSync(local, randomBytes(sizeMiB * MiB));
      const path = `payload-${sizeMiB}.bin`;
      const { digest } = await context.tracking.logArtifactFile(runId, local, path);
      const hex = digest.slice('sha256:'.length);
      blobs.push({ sizeMiB, path, blobFile: join(artifactRoot, 'sha256', hex.slice(0, 2), hex.slice(2)) });
    }
    await context.close();

    const server = await startServerProcess({
      CICLO_DATABASE_URL: database.url,
      CICLO_HOME: home.dir,
      CICLO_ARTIFACT_ROOT: artifactRoot,
      CICLO_LOG_LEVEL: 'silent',
    });
    const bare = await startBareFileServer();
    try {
      for (const { sizeMiB, path, blobFile } of blobs) {
        const bytes = sizeMiB * MiB;
        const raw = await medianMBps(bytes, () => drain(createReadStream(blobFile, { highWaterMark: MiB })));
        const hashOnly = await medianMBps(bytes, async () => (await sha256DigestOfFile(blobFile), bytes));
        const bareHttp = await medianMBps(bytes, () => download(`${bare.url}/?file=${encodeURIComponent(blobFile)}`));
        const ciclo = await medianMBps(bytes, () => download(`${server.url}/api/v1/runs/${runId}/artifacts/${path}`));
        lines.push(
          `${sizeMiB} MiB: Ciclo download ${fmt(ciclo, 0)} MB/s; ` +
            `raw file read ${fmt(raw, 0)} MB/s (ratio ${fmt(ciclo / raw, 2)}); ` +
            `bare node:http streaming the file unchecked ${fmt(bareHttp, 0)} MB/s ` +
            `(ratio ${fmt(ciclo / bareHttp, 2)}); ` +
            `sha256 of the file alone ${fmt(hashOnly, 0)} MB/s`,
        );
      }
    } finally {
      agent.destroy();
      await bare.stop();
      await server.stop();
    }
  } finally {
    await database.drop();
    home.remove();
  }
  return lines;
}

async function medianMBps(bytes: number, once: () => Promise<number>): Promise<number> {
  await once(); // warm-up: the page cache and the connection pool
  const rates: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    const received = await once();
    if (received !== bytes) throw new Error(`expected ${bytes} bytes, received ${received}`);
    rates.push(bytes / 1e6 / (elapsedMs(start) / 1000));
  }
  return rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
}

// node:http with a kept-alive socket: with fetch as the client the bare server measured 232 MB/s at 5 MiB, not 359.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function download(url: string): Promise<number> {
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    get(url, { agent }, resolve).on('error', reject),
  );
  if (response.statusCode !== 200) throw new Error(`${url}: HTTP ${response.statusCode}`);
  return drain(response);
}

async function drain(stream: Readable): Promise<number> {
  let received = 0;
  for await (const chunk of stream) received += (chunk as Buffer).length;
  return received;
}
