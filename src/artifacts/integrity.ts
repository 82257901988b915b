import { InvalidStateError } from '../common/errors.js';
import type { BlobStore, StoredTemp } from './types.js';

/** One row somewhere in the metadata store that needs a blob. */
export interface BlobReference {
  digest: string;
  /** Who needs it, for people: `run 4e49…: model/weights.bin`, `dataset customers@2: part-1.csv`. */
  referrer: string;
  /**
   * Set when the referrer needs more blobs than could be listed (a model manifest that cannot be
   * read): gc then refuses to delete anything, since it cannot tell what else is needed.
   */
  unlisted?: string;
}

/**
 * The blobs one owner's tables name. Each capability that stores digests of blobs provides one
 * (run artifacts, dataset versions, model packages), so fsck and gc never read another's tables.
 */
export interface BlobReferenceSource {
  references(blobs: BlobStore): AsyncIterable<BlobReference>;
}

export interface DamagedBlob {
  digest: string;
  /** The referrers naming it (the first few; `referrerCount` says how many in all). */
  referrers: string[];
  referrerCount: number;
}

export interface FsckReport {
  /** Blobs held in the store, and their total bytes. */
  blobs: number;
  bytes: number;
  /** Distinct digests the metadata store names. */
  referenced: number;
  corrupt: (DamagedBlob & { actual: string; sizeBytes: number })[];
  missing: DamagedBlob[];
  unreferenced: { digest: string; sizeBytes: number; modifiedTime: number }[];
}

export interface GcOptions {
  /** Only blobs (and temp files) last written longer ago than this are deleted. */
  olderThanMs: number;
  dryRun: boolean;
}

export interface GcReport {
  dryRun: boolean;
  /** Blobs written before this (ms since the epoch) were candidates. */
  cutoff: number;
  deleted: { digest: string; sizeBytes: number; modifiedTime: number }[];
  deletedBytes: number;
  /** Unreferenced blobs younger than the cutoff: a write in progress may be about to name them. */
  keptYoung: number;
  /** Temp files of writes that stopped before the cutoff (a crashed upload's remains). */
  tempFiles: StoredTemp[];
}

/** Each damaged blob lists at most this many referrers; a blob shared by thousands of runs would drown the report. */
const REFERRERS_SHOWN = 5;

interface ReferenceIndex {
  byDigest: Map<string, { referrers: string[]; count: number }>;
  unlisted: BlobReference[];
}

/**
 * `ciclo fsck` and `ciclo gc` over a blob store and every table that names its blobs (anchors:
 * `git fsck`/`git gc --prune`, `dvc gc`, `mlflow gc`).
 *
 * gc's safety rests on an order every writer keeps: a blob is written (a fresh file, so a fresh
 * mtime) before the row naming it commits. References are read first and blobs listed after, so
 * a blob gc finds unreferenced either has no row, or its row committed after the references were
 * read, within moments of the blob's write. Deleting only blobs last written longer ago than the
 * grace period therefore never takes one a write in progress is about to name, as long as no
 * write takes longer than the grace period between storing its blob and committing its row.
 */
export class BlobIntegrity {
  readonly #blobs: BlobStore;
  readonly #sources: readonly BlobReferenceSource[];
  readonly #now: () => number;

  constructor(blobs: BlobStore, sources: readonly BlobReferenceSource[], now: () => number = Date.now) {
    this.#blobs = blobs;
    this.#sources = sources;
    this.#now = now;
  }

  /** Re-hashes every blob held; lists the corrupt, the referenced but missing, and the unreferenced. */
  async fsck(): Promise<FsckReport> {
    const index = await this.#referenceIndex();
    const report: FsckReport = {
      blobs: 0,
      bytes: 0,
      referenced: index.byDigest.size,
      corrupt: [],
      missing: [],
      unreferenced: [],
    };
    const seen = new Set<string>();
    for await (const blob of this.#blobs.list()) {
      seen.add(blob.digest);
      report.blobs += 1;
      report.bytes += blob.sizeBytes;
      const check = await this.#blobs.check(blob.digest);
      const references = index.byDigest.get(blob.digest);
      // Deleted between the listing and the check (by a concurrent gc): missing if still needed.
      if (check.state === 'missing') seen.delete(blob.digest);
      else if (check.state === 'corrupt')
        report.corrupt.push({ ...damaged(blob.digest, references), actual: check.actual, sizeBytes: check.sizeBytes });
      else if (references === undefined) report.unreferenced.push(blob);
    }
    for (const [digest, references] of index.byDigest) {
      if (!seen.has(digest)) report.missing.push(damaged(digest, references));
    }
    return report;
  }

  /** Deletes unreferenced blobs last written before `now - olderThanMs`, and temp files as old. */
  async gc(options: GcOptions): Promise<GcReport> {
    const cutoff = this.#now() - options.olderThanMs;
    const index = await this.#referenceIndex();
    const [first] = index.unlisted;
    if (first !== undefined) {
      throw new InvalidStateError(`gc cannot tell which blobs ${first.referrer} needs: ${first.unlisted}`, {
        where: first.referrer,
        hint: 'Run ciclo fsck and repair or remove what it reports as corrupt or missing, then run gc again.',
      });
    }
    const report: GcReport = {
      dryRun: options.dryRun,
      cutoff,
      deleted: [],
      deletedBytes: 0,
      keptYoung: 0,
      tempFiles: [],
    };
    for await (const blob of this.#blobs.list()) {
      if (index.byDigest.has(blob.digest)) continue;
      if (blob.modifiedTime >= cutoff) {
        report.keptYoung += 1;
        continue;
      }
      if (options.dryRun || (await this.#blobs.deleteIfUntouchedSince(blob.digest, cutoff))) {
        report.deleted.push(blob);
        report.deletedBytes += blob.sizeBytes;
      } else report.keptYoung += 1;
    }
    report.tempFiles = await this.#blobs.sweepTemp(cutoff, { dryRun: options.dryRun });
    return report;
  }

  async #referenceIndex(): Promise<ReferenceIndex> {
    const index: ReferenceIndex = { byDigest: new Map(), unlisted: [] };
    for (const source of this.#sources) {
      for await (const reference of source.references(this.#blobs)) {
        if (reference.unlisted !== undefined) index.unlisted.push(reference);
        const entry = index.byDigest.get(reference.digest) ?? { referrers: [], count: 0 };
        entry.count += 1;
        if (entry.referrers.length < REFERRERS_SHOWN) entry.referrers.push(reference.referrer);
        index.byDigest.set(reference.digest, entry);
      }
    }
    return index;
  }
}

function damaged(digest: string, references: { referrers: string[]; count: number } | undefined): DamagedBlob {
  return { digest, referrers: references?.referrers ?? [], referrerCount: references?.count ?? 0 };
}
