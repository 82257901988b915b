import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configEnvironment } from '../../src/common/config.js';
import { age, blobFile } from '../artifacts/blob-files.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { runCli } from './run-cli.js';

const DAY = 24 * 3_600_000;

describe.each(DIALECTS)('ciclo fsck and ciclo gc, on %s', (dialect) => {
  let test: TestContext;
  let runId: string;
  const cli = (...args: string[]) => runCli(args, configEnvironment(test.config));
  const log = (path: string, content: string) =>
    test.context.tracking.logArtifact(runId, path, Readable.from([Buffer.from(content)]));

  beforeAll(async () => {
    test = await openTestContext(dialect);
    runId = (await test.context.tracking.createRun({ experimentId: '0' })).info.runId;
  });
  afterAll(async () => {
    await test.drop();
  });

  it('exits 0 on an intact store and 1 with the corrupt blob and who needs it', async () => {
    const weights = await log('model/weights.bin', 'weights v1');
    const intact = await cli('fsck');
    expect(intact.code).toBe(0);
    expect(intact.stdout).toContain('No corrupt or missing blobs.');

    chmodSync(blobFile(test.config.artifactRoot, weights.digest), 0o600);
    writeFileSync(blobFile(test.config.artifactRoot, weights.digest), 'weights v2');
    const damaged = await cli('fsck', '--json');
    expect(damaged.code).toBe(1);
    expect(JSON.parse(damaged.stdout)).toMatchObject({
      corrupt: [{ digest: weights.digest, referrers: [`run ${runId}: model/weights.bin`] }],
      missing: [],
    });
    const human = await cli('fsck');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`corrupt +${weights.digest}`));
    expect(human.stdout).toContain(`run ${runId}: model/weights.bin`);
    await log('model/weights.bin', 'weights v1'); // logging the content again repairs the blob
    expect((await cli('fsck')).code).toBe(0);
  });

  it(
    'deletes an old unreferenced blob, keeps a young one, ' +
      'lists without deleting on --dry-run, refuses a grace under an hour',
    async () => {
      const old = await log('notes.txt', 'old draft');
      await log('notes.txt', 'current');
      const young = await log('plot.png', 'young draft');
      await log('plot.png', 'current plot');
      age(test.config.artifactRoot, old.digest, 2 * DAY);

      const tooShort = await cli('gc', '--older-than', '10m');
      expect(tooShort.code).toBe(2);
      expect(tooShort.stderr).toContain('at least 1h');

      const dryRun = await cli('gc', '--dry-run', '--json');
      expect(dryRun.code).toBe(0);
      expect(JSON.parse(dryRun.stdout)).toMatchObject({
        dryRun: true,
        deleted: [{ digest: old.digest }],
        keptYoung: 1,
      });
      expect(existsSync(blobFile(test.config.artifactRoot, old.digest))).toBe(true);

      const done = await cli('gc', '--older-than', '1d');
      expect(done.code).toBe(0);
      expect(done.stdout).toContain('Deleted 1 unreferenced blob(s)');
      expect(existsSync(blobFile(test.config.artifactRoot, old.digest))).toBe(false);
      expect(existsSync(blobFile(test.config.artifactRoot, young.digest))).toBe(true);
    },
  );
});
