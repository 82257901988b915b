import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { writePackage } from '../registry/support.js';
import { age, blobFile, sha256Of } from './blob-files.js';

const DAY = 24 * 3_600_000;

describe.each(DIALECTS)('fsck and gc over every table that names blobs, on %s', (dialect) => {
  let test: TestContext;
  let runId: string;
  const root = () => test.config.artifactRoot;
  const log = async (path: string, content: string) =>
    test.context.tracking.logArtifact(runId, path, Readable.from([Buffer.from(content)]));

  beforeEach(async () => {
    test = await openTestContext(dialect);
    runId = (await test.context.tracking.createRun({ experimentId: '0' })).info.runId;
  });
  afterEach(async () => {
    await test.drop();
  });

  it('finds a corrupt blob and a missing one with who needs them, and the unreferenced ones', async () => {
    const intact = await log('intact.txt', 'intact');
    const flipped = await log('model/weights.bin', 'weights v1');
    const gone = await log('plots/roc.json', '{"auc": 0.9}');
    const dataset = join(test.dir, 'customers.csv');
    writeFileSync(dataset, 'id,amount\n1,10\n');
    const version = (await test.context.datasets.register('customers', dataset)).version;
    await log('notes.txt', 'first draft');
    await log('notes.txt', 'final text'); // logging the path again leaves its first blob unreferenced

    chmodSync(blobFile(root(), flipped.digest), 0o600);
    writeFileSync(blobFile(root(), flipped.digest), 'weights v2');
    rmSync(blobFile(root(), gone.digest));
    rmSync(blobFile(root(), version.files[0]!.digest));

    const report = await test.context.integrity.fsck();
    expect(report.corrupt).toEqual([
      expect.objectContaining({
        digest: flipped.digest,
        referrers: [`run ${runId}: model/weights.bin`],
        referrerCount: 1,
      }),
    ]);
    expect(report.missing.map((blob) => [blob.digest, blob.referrers])).toEqual(
      expect.arrayContaining([
        [gone.digest, [`run ${runId}: plots/roc.json`]],
        [version.files[0]!.digest, ['dataset customers@1: customers.csv']],
      ]),
    );
    expect(report.missing).toHaveLength(2);
    expect(report.unreferenced.map((blob) => blob.digest)).toEqual([sha256Of('first draft')]);
    expect(report.corrupt.map((blob) => blob.digest)).not.toContain(intact.digest);
  });

  it('deletes only unreferenced blobs older than the grace period; a dry run deletes nothing', async () => {
    const first = await log('notes.txt', 'first draft');
    await log('notes.txt', 'second draft'); // the first draft is now unreferenced
    const second = await log('plot.png', 'young orphan');
    await log('plot.png', 'kept'); // so is this one, but it was written moments ago
    const referenced = await log('kept.txt', 'still named by a row');
    age(root(), first.digest, 2 * DAY);
    age(root(), referenced.digest, 2 * DAY);
    mkdirSync(join(root(), 'tmp'), { recursive: true });
    const crashedUpload = join(root(), 'tmp', 'crashed-upload');
    writeFileSync(crashedUpload, 'half of it');
    utimesSync(crashedUpload, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));

    const dryRun = await test.context.integrity.gc({ olderThanMs: DAY, dryRun: true });
    expect(dryRun).toMatchObject({ dryRun: true, keptYoung: 1, deletedBytes: 'first draft'.length });
    expect(dryRun.deleted.map((blob) => blob.digest)).toEqual([first.digest]);
    expect(dryRun.tempFiles.map((file) => file.name)).toEqual(['crashed-upload']);
    expect(existsSync(blobFile(root(), first.digest))).toBe(true);
    expect(existsSync(crashedUpload)).toBe(true);

    const done = await test.context.integrity.gc({ olderThanMs: DAY, dryRun: false });
    expect(done.deleted.map((blob) => blob.digest)).toEqual([first.digest]);
    expect(done.keptYoung).toBe(1);
    expect(existsSync(blobFile(root(), first.digest))).toBe(false);
    expect(existsSync(blobFile(root(), second.digest))).toBe(true);
    expect(existsSync(blobFile(root(), referenced.digest))).toBe(true);
    expect(existsSync(crashedUpload)).toBe(false);
    const after = await test.context.integrity.fsck();
    expect(after).toMatchObject({ corrupt: [], missing: [] });
    expect(after.unreferenced.map((blob) => blob.digest)).toEqual([second.digest]);
  });

  it("keeps a registered model's package files after the run's paths were logged again", async () => {
    const folder = join(test.dir, 'package');
    await writePackage(folder, 'forest-1');
    await test.context.tracking.logArtifactDirectory(runId, folder, 'model');
    await test.context.registry.register('churn', { runId, path: 'model' });
    const weightsDigest = sha256Of(readFileSync(join(folder, 'weights', 'w.bin'), 'utf8'));

    // The run's rows now name a new package; the version still needs the bytes it was registered with.
    await writePackage(folder, 'forest-2');
    await test.context.tracking.logArtifactDirectory(runId, folder, 'model');
    age(root(), weightsDigest, 2 * DAY);
    const done = await test.context.integrity.gc({ olderThanMs: DAY, dryRun: false });
    expect(done.deleted).toEqual([]);
    expect(existsSync(blobFile(root(), weightsDigest))).toBe(true);
    expect((await test.context.integrity.fsck()).unreferenced).toEqual([]);
  });

  it('refuses to collect anything while a model manifest cannot be read', async () => {
    const folder = join(test.dir, 'package');
    await writePackage(folder);
    await test.context.tracking.logArtifactDirectory(runId, folder, 'model');
    const version = await test.context.registry.register('churn', { runId, path: 'model' });
    rmSync(blobFile(root(), version.manifestDigest!));
    await expect(test.context.integrity.gc({ olderThanMs: DAY, dryRun: false })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringContaining('model churn/1: ciclo-model.json'),
    });
    expect((await test.context.integrity.fsck()).missing.map((blob) => blob.referrers)).toEqual([
      [`run ${runId}: model/ciclo-model.json`, 'model churn/1: ciclo-model.json'],
    ]);
  });
});
