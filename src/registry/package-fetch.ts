import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { runFilesUnder, sha256DigestOfFile } from '../artifacts/index.js';
import { CorruptArtifactError } from '../common/errors.js';
import { makePrivateDir } from '../common/private-files.js';
import type { Schema } from '../store/index.js';
import type { TrackingService } from '../tracking/index.js';
import { MLMODEL_FILE } from './mlflow/mlmodel.js';
import { loadModelPackage, MANIFEST_FILE, type ModelSignature } from './package.js';
import { requireVerifiedPackage } from './package-status.js';
import type { ModelVersion } from './types.js';

/** A version's package as local files a model runtime can load. */
export interface FetchedPackage {
  folder: string;
  flavor: string;
  signature: ModelSignature;
  entry?: string;
}

/**
 * Copies a version's package out of its run's artifacts into `<cacheRoot>/<manifest digest>/` once,
 * then reuses it. Every blob is verified as the artifact store hands it out, and a Ciclo package is
 * loaded again from the copy (each file re-hashed against its manifest) whether it was just copied or
 * found there, so a copy changed on disk is refused rather than served. The copy is made in a
 * temporary folder and renamed, so a process that finds the folder finds it whole.
 */
export async function fetchPackage(
  db: Kysely<Schema>,
  tracking: TrackingService,
  version: ModelVersion,
  cacheRoot: string,
): Promise<FetchedPackage> {
  requireVerifiedPackage(version);
  const folder = join(cacheRoot, version.manifestDigest!.replace(/^sha256:/, ''));
  if (!(await exists(folder))) await copyPackage(db, tracking, version, cacheRoot, folder);
  const native = await exists(join(folder, MANIFEST_FILE));
  // The registered digest is the manifest's (or MLmodel's): the copy must hold those very bytes.
  const described = join(folder, native ? MANIFEST_FILE : MLMODEL_FILE);
  const digest = await sha256DigestOfFile(described).catch(() => null);
  if (digest !== version.manifestDigest) throw corrupt(version, folder);
  if (!native) return { folder, flavor: version.flavor, signature: version.signature };
  const { manifest } = await loadModelPackage(folder);
  return {
    folder,
    flavor: manifest.flavor,
    signature: manifest.signature,
    ...(manifest.entry === undefined ? {} : { entry: manifest.entry }),
  };
}

async function copyPackage(
  db: Kysely<Schema>,
  tracking: TrackingService,
  version: ModelVersion,
  cacheRoot: string,
  folder: string,
): Promise<void> {
  await makePrivateDir(cacheRoot);
  const temp = join(cacheRoot, `.fetch-${randomUUID()}`);
  try {
    const files = await runFilesUnder(db, version.runId, version.source);
    for (const path of files.keys()) {
      const target = join(temp, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      const source = version.source === '' ? path : `${version.source}/${path}`;
      await pipeline(await tracking.openArtifact(version.runId, source), createWriteStream(target, { mode: 0o600 }));
    }
    await rename(temp, folder).catch(async (error: NodeJS.ErrnoException) => {
      // Another process copied it first: theirs is the same content.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function corrupt(version: ModelVersion, folder: string): CorruptArtifactError {
  return new CorruptArtifactError(`the local copy of ${version.name}/${version.version}'s package does not match it`, {
    where: folder,
    hint: 'Remove the folder; it is copied again from the artifact store on the next load.',
  });
}
