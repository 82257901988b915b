import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBlobStore, RunArtifacts } from '../../src/artifacts/index.js';
import { openDatabase, type MetadataDatabase } from '../../src/store/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';
import { readAll } from './streams.js';

const text = (value: string) => Readable.from([Buffer.from(value)]);

async function insertRun(store: MetadataDatabase, runId: string): Promise<void> {
  const now = Date.now();
  const experiment = await store.db
    .insertInto('experiments')
    .values({
      name: `experiment-${runId}`,
      artifact_location: 'ciclo-artifacts:/',
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
    })
    .returning('experiment_id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('runs')
    .values({
      run_uuid: runId,
      experiment_id: experiment.experiment_id,
      run_name: runId,
      user_id: 'tester',
      status: 'RUNNING',
      start_time: now,
      end_time: null,
      lifecycle_stage: 'active',
      artifact_uri: `ciclo-artifacts:/${runId}`,
      parent_run_id: null,
      deleted_time: null,
    })
    .execute();
}

describe.each(DIALECTS)('run artifacts on %s', (dialect) => {
  let testDb: TestDatabase;
  let store: MetadataDatabase;
  let temp: ReturnType<typeof makeTempDir>;
  let artifacts: RunArtifacts;
  const run = 'run-1';

  beforeEach(async () => {
    testDb = await createTestDatabase(dialect);
    store = await openDatabase(testDb.location);
    temp = makeTempDir('ciclo-run-artifacts-');
    artifacts = new RunArtifacts(store.db, new LocalBlobStore(join(temp.dir, 'blobs')));
    await insertRun(store, run);
  });

  afterEach(async () => {
    await store.close();
    await testDb.drop();
    temp.remove();
  });

  const localTree = (files: Record<string, string>): string => {
    const root = join(temp.dir, 'local', String(Math.random()).slice(2));
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    mkdirSync(root, { recursive: true });
    return root;
  };

  it('lists the direct children of a folder, deriving subfolders from the paths', async () => {
    await artifacts.put(run, 'model/model.onnx', text('onnx'));
    await artifacts.put(run, 'model/meta/signature.json', text('{}'));
    await artifacts.put(run, 'model/meta/deep/more.txt', text('more'));
    await artifacts.put(run, 'plots/roc.png', text('png'));
    await artifacts.put(run, 'README.md', text('# run'));

    expect(await artifacts.list(run)).toEqual([
      { path: 'README.md', isDir: false, fileSize: 5 },
      { path: 'model', isDir: true },
      { path: 'plots', isDir: true },
    ]);
    expect(await artifacts.list(run, 'model/')).toEqual([
      { path: 'model/meta', isDir: true },
      { path: 'model/model.onnx', isDir: false, fileSize: 4 },
    ]);
    expect(await artifacts.list(run, 'model/meta')).toEqual([
      { path: 'model/meta/deep', isDir: true },
      { path: 'model/meta/signature.json', isDir: false, fileSize: 2 },
    ]);
    expect(await artifacts.list(run, 'missing')).toEqual([]);
    expect(await artifacts.list(run, 'README.md')).toEqual([]);
  });

  it('does not treat a folder name as a prefix of its siblings', async () => {
    await artifacts.put(run, 'a_b/in.txt', text('1'));
    await artifacts.put(run, 'axb/out.txt', text('2'));
    await artifacts.put(run, 'a%/pct.txt', text('3'));
    await artifacts.put(run, 'model-v2/x.txt', text('4'));
    await artifacts.put(run, 'model/y.txt', text('5'));

    expect((await artifacts.list(run, 'a_b')).map((entry) => entry.path)).toEqual(['a_b/in.txt']);
    expect((await artifacts.list(run, 'a%')).map((entry) => entry.path)).toEqual(['a%/pct.txt']);
    expect((await artifacts.list(run, 'model')).map((entry) => entry.path)).toEqual(['model/y.txt']);
    expect((await artifacts.list(run, 'MODEL')).map((entry) => entry.path)).toEqual([]);
  });

  it("keeps one run's artifacts out of another run's listing", async () => {
    await insertRun(store, 'run-2');
    await artifacts.put(run, 'mine.txt', text('1'));
    await artifacts.put('run-2', 'theirs.txt', text('2'));
    expect(await artifacts.list('run-2')).toEqual([{ path: 'theirs.txt', isDir: false, fileSize: 1 }]);
  });

  it('replaces the mapping when a path is logged again', async () => {
    const first = await artifacts.put(run, 'metrics.json', text('{"auc":0.8}'));
    const second = await artifacts.put(run, './metrics.json', text('{"auc":0.91}'));

    expect(second.digest).not.toBe(first.digest);
    expect(await artifacts.stat(run, 'metrics.json')).toEqual(second);
    expect(await artifacts.list(run)).toEqual([{ path: 'metrics.json', isDir: false, fileSize: 12 }]);
    expect((await readAll(await artifacts.open(run, 'metrics.json'))).toString()).toBe('{"auc":0.91}');
  });

  it('round-trips content through stat and open', async () => {
    const content = 'id,label\n1,0\n2,1\n';
    const logged = await artifacts.put(run, 'data//train.csv', text(content));

    expect(logged).toMatchObject({ path: 'data/train.csv', sizeBytes: content.length });
    expect(logged.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await artifacts.stat(run, 'data/train.csv')).toEqual(logged);
    expect((await readAll(await artifacts.open(run, 'data/train.csv'))).toString()).toBe(content);
  });

  it('answers RESOURCE_DOES_NOT_EXIST for a path the run does not have', async () => {
    await artifacts.put(run, 'model/model.onnx', text('onnx'));
    await expect(artifacts.stat(run, 'model/missing.onnx')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining('model/missing.onnx'),
    });
    await expect(artifacts.open(run, 'model')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('refuses a bad logical path before storing anything', async () => {
    await expect(artifacts.put(run, '../escape.txt', text('x'))).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect(await artifacts.list(run)).toEqual([]);
  });

  it('logs a local file by path', async () => {
    const dir = localTree({ 'model.onnx': 'weights' });
    const logged = await artifacts.putFile(run, 'model/model.onnx', join(dir, 'model.onnx'));
    expect(logged).toMatchObject({ path: 'model/model.onnx', sizeBytes: 7 });
    expect((await readAll(await artifacts.open(run, 'model/model.onnx'))).toString()).toBe('weights');
  });

  it('logs a local folder recursively below a logical folder', async () => {
    const dir = localTree({ 'model.onnx': 'weights', 'meta/signature.json': '{}', 'meta/deep/notes.txt': 'n' });
    const logged = await artifacts.putDirectory(run, 'model', dir);

    expect(logged.map((artifact) => artifact.path)).toEqual([
      'model/meta/deep/notes.txt',
      'model/meta/signature.json',
      'model/model.onnx',
    ]);
    expect(await artifacts.list(run, 'model')).toEqual([
      { path: 'model/meta', isDir: true },
      { path: 'model/model.onnx', isDir: false, fileSize: 7 },
    ]);
    expect((await readAll(await artifacts.open(run, 'model/meta/deep/notes.txt'))).toString()).toBe('n');
  });

  it('logs a local folder at the root when the logical folder is empty', async () => {
    const dir = localTree({ 'a.txt': 'a', 'sub/b.txt': 'b' });
    await artifacts.putDirectory(run, '', dir);
    expect(await artifacts.list(run)).toEqual([
      { path: 'a.txt', isDir: false, fileSize: 1 },
      { path: 'sub', isDir: true },
    ]);
  });

  it('refuses a folder containing a symbolic link and logs none of it', async () => {
    const outside = localTree({ 'secret.txt': 'secret' });
    const dir = localTree({ 'model.onnx': 'weights' });
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'link.txt'));

    await expect(artifacts.putDirectory(run, 'model', dir)).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('symbolic link'),
    });
    await expect(artifacts.putFile(run, 'link.txt', join(dir, 'link.txt'))).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
    expect(await artifacts.list(run)).toEqual([]);
  });
});
