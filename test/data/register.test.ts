import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/artifacts/index.js';
import { DataEngine, readFilesSql } from '../../src/data/index.js';
import { folderDigest } from '../../src/pipelines/index.js';
import { DIALECTS } from '../support/databases.js';
import { csv, useDataSuite, writeParquet } from './support.js';

describe.each(DIALECTS)('DatasetService registration on %s', (dialect) => {
  const suite = useDataSuite(dialect);

  it('registers a file: blobs by content, version 1 addressed by (path, digest) pairs, schema inferred', async () => {
    const content = csv('id,score,city,day', [
      [1, 0.5, 'rome', '2024-01-01'],
      [2, '', 'oslo', '2024-01-02'],
    ]);
    const file = suite.write('train.csv', content);
    const { version, created } = await suite.datasets.register('train', file, { description: 'training rows' });
    expect(created).toBe(true);
    expect(version).toMatchObject({ name: 'train', version: 1, format: 'csv', rowCount: 2 });
    expect(version.files).toEqual([{ path: 'train.csv', digest: sha256Digest(content), sizeBytes: content.length }]);
    expect(version.digest).toBe(folderDigest([{ path: 'train.csv', digest: sha256Digest(content) }]));
    expect(version.schema).toEqual([
      { name: 'id', type: 'BIGINT', nullable: false, sensitive: false },
      { name: 'score', type: 'DOUBLE', nullable: true, sensitive: false },
      { name: 'city', type: 'VARCHAR', nullable: false, sensitive: false },
      { name: 'day', type: 'DATE', nullable: false, sensitive: false },
    ]);
    expect(suite.blobFiles()).toHaveLength(1);
    expect(readFileSync(suite.blobFiles()[0]!, 'utf8')).toBe(content);
    expect(await suite.datasets.list()).toMatchObject([
      { name: 'train', description: 'training rows', latestVersion: 1, versionCount: 1, rowCount: 2 },
    ]);
  });

  it('returns the existing version for identical content, copies nothing; changed content is version 2', async () => {
    const file = suite.write('a.csv', csv('x,y', [[1, 2]]));
    const first = await suite.datasets.register('d', file);
    const blobs = suite.blobFiles();
    // The same bytes at another path and name: same relative path, so the same version.
    const again = await suite.datasets.register('d', suite.write('copy/a.csv', csv('x,y', [[1, 2]])));
    expect(again).toEqual({ version: first.version, created: false });
    expect(suite.blobFiles()).toEqual(blobs);
    expect(await suite.versionCount()).toBe(1);

    const second = await suite.datasets.register(
      'd',
      suite.write(
        'a.csv',
        csv('x,y', [
          [1, 2],
          [3, 4],
        ]),
      ),
    );
    expect(second.created).toBe(true);
    expect(second.version.version).toBe(2);
    expect(second.version.digest).not.toBe(first.version.digest);
    expect((await suite.datasets.versions('d')).map((v) => v.version)).toEqual([1, 2]);
  });

  it('registers a folder recursively (other files left out) and a glob, paths relative to them', async () => {
    suite.write('parts/2024/01.jsonl', '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n');
    suite.write('parts/2024/02.jsonl', '{"a": 3, "b": null}\n');
    suite.write('parts/README.md', 'not data');
    suite.write('parts/.hidden/x.jsonl', '{"a": 9}\n');
    const folder = await suite.datasets.register('events', join(suite.dir, 'parts'));
    expect(folder.version.files.map((f) => f.path)).toEqual(['2024/01.jsonl', '2024/02.jsonl']);
    expect(folder.version).toMatchObject({ format: 'jsonl', rowCount: 3 });
    expect(folder.version.schema.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['a', 'BIGINT', false],
      ['b', 'VARCHAR', true],
    ]);

    const glob = await suite.datasets.register('events-glob', join(suite.dir, 'parts', '*', '*.jsonl'));
    expect(glob.version.files.map((f) => f.path)).toEqual(['2024/01.jsonl', '2024/02.jsonl']);
    // Same files at the same relative paths: the same content address under another name.
    expect(glob.version.digest).toBe(folder.version.digest);
    expect(suite.blobFiles()).toHaveLength(2);
  });

  it('registers Parquet and resolves NAME, NAME@n and NAME@sha256 to blob files DuckDB reads', async () => {
    const first = await writeParquet(
      join(suite.dir, 'p1.parquet'),
      'SELECT range AS id, (range * 2.5)::DOUBLE AS v FROM range(10)',
    );
    const v1 = await suite.datasets.register('pq', first);
    const second = await writeParquet(
      join(suite.dir, 'p2.parquet'),
      'SELECT range AS id, (range * 2.5)::DOUBLE AS v FROM range(20)',
    );
    const v2 = await suite.datasets.register('pq', second);
    expect(v1.version.schema.map((c) => c.type)).toEqual(['BIGINT', 'DOUBLE']);

    expect((await suite.datasets.resolve('pq')).version).toBe(2);
    expect((await suite.datasets.resolve('pq@1')).digest).toBe(v1.version.digest);
    const byDigest = await suite.datasets.resolve(`pq@${v2.version.digest}`);
    expect(byDigest).toMatchObject({ name: 'pq', version: 2, format: 'parquet', rowCount: 20 });
    expect(byDigest.files[0]).toMatch(/sha256/);
    const engine = await DataEngine.open();
    try {
      expect(
        await engine.all(`SELECT count(*) AS n, sum(v) AS s FROM ${readFilesSql(byDigest.files, byDigest.format)}`),
      ).toEqual([{ n: 20, s: 475 }]);
    } finally {
      engine.close();
    }

    await expect(suite.datasets.resolve('pq@3')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'dataset pq has no version 3',
    });
    await expect(suite.datasets.resolve('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(suite.datasets.resolve('pq@latest')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(suite.datasets.resolve(`pq@sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('tags sensitive columns and keeps their values out of the profile', async () => {
    const file = suite.write(
      'people.csv',
      csv('id,email,salary', [
        [1, 'a@x.org', 100],
        [2, 'b@x.org', 200],
      ]),
    );
    const { version } = await suite.datasets.register('people', file, { sensitive: ['email', 'salary'] });
    expect(version.schema.filter((c) => c.sensitive).map((c) => c.name)).toEqual(['email', 'salary']);
    const { profile } = await suite.datasets.show('people');
    const email = profile!.columns.find((c) => c.name === 'email')!;
    const salary = profile!.columns.find((c) => c.name === 'salary')!;
    expect(email).toEqual({ name: 'email', type: 'VARCHAR', kind: 'categorical', nulls: 0, distinct: 2 });
    expect(salary).toEqual({ name: 'salary', type: 'BIGINT', kind: 'numeric', nulls: 0, distinct: 2 });
    expect(JSON.stringify(profile)).not.toContain('a@x.org');

    // A new version without --sensitive keeps the tags of the columns still there; given tags replace them.
    const next = await suite.datasets.register('people', suite.write('people.csv', csv('id,email', [[1, 'c@x.org']])));
    expect(next.version.schema.filter((c) => c.sensitive).map((c) => c.name)).toEqual(['email']);
    const retagged = await suite.datasets.register(
      'people',
      suite.write('people.csv', csv('id,email', [[2, 'd@x.org']])),
      { sensitive: [] },
    );
    expect(retagged.version.schema.filter((c) => c.sensitive)).toEqual([]);
  });

  it('accepts a declared schema the data matches, and stores its types', async () => {
    const file = suite.write(
      's.csv',
      csv('id,score,label', [
        [1, 2, 'a'],
        [2, 3.5, 'b'],
      ]),
    );
    const schemaFile = suite.write(
      'schema.yaml',
      'columns:\n  id: int\n  score: { type: DOUBLE, nullable: false }\n  label: VARCHAR\n',
    );
    const { version } = await suite.datasets.register('s', file, { schema: schemaFile });
    expect(version.schema).toEqual([
      { name: 'id', type: 'INTEGER', nullable: true, sensitive: false },
      { name: 'score', type: 'DOUBLE', nullable: false, sensitive: false },
      { name: 'label', type: 'VARCHAR', nullable: true, sensitive: false },
    ]);
    const { profile } = await suite.datasets.show('s@1');
    expect(profile!.columns[0]).toMatchObject({ name: 'id', type: 'INTEGER', min: 1, max: 2 });
  });

  it('refuses a declared schema the data does not match, naming the columns, and creates nothing', async () => {
    const file = suite.write(
      's.csv',
      csv('id,score,extra', [
        [1, 1.5, 'x'],
        [2, '', 'y'],
      ]),
    );
    const schemaFile = suite.write(
      'schema.json',
      JSON.stringify({
        columns: [
          { name: 'id', type: 'BIGINT' },
          { name: 'score', type: 'BIGINT', nullable: false },
          { name: 'missing', type: 'VARCHAR' },
        ],
      }),
    );
    const error = await suite.datasets.register('s', file, { schema: schemaFile }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    const message = (error as Error).message;
    expect(message).toContain('missing: declared but not in the data');
    expect(message).toContain('extra: in the data (VARCHAR) but not declared');
    expect(message).toContain('score: 1 value(s) are not BIGINT');
    expect(message).toContain('score: 1 null(s), declared not nullable');
    expect((error as { details: { where: string } }).details.where).toContain('missing, extra, score');
    expect(await suite.versionCount()).toBe(0);
    expect(suite.blobFiles()).toEqual([]);

    const unknownType = suite.write('bad-type.yaml', 'columns:\n  id: NUMBERISH\n');
    await expect(suite.datasets.register('s', file, { schema: unknownType })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'unknown type NUMBERISH',
    });
  });

  it('records a version as a run input through tracking', async () => {
    const { tracking } = suite.test.context;
    const { version } = await suite.datasets.register('d', suite.write('d.csv', csv('a', [[1], [2]])));
    const { experimentId } = await tracking.createExperiment({ name: 'e' });
    const run = await tracking.createRun({ experimentId });
    await suite.datasets.logInput(run.info.runId, 'd@1');
    const stored = await tracking.getRun(run.info.runId);
    expect(stored.inputs).toEqual([
      {
        name: 'd',
        digest: version.digest,
        context: 'training',
        sourceType: 'ciclo-dataset',
        source: 'ciclo-dataset:d@1',
        schema: JSON.stringify(version.schema),
      },
    ]);
  });

  it('diffs two versions: schema changes and statistics with deltas', async () => {
    await suite.datasets.register(
      'd',
      suite.write(
        'v1/d.csv',
        csv('id,x,gone', [
          [1, 10, 'a'],
          [2, 20, 'b'],
        ]),
      ),
    );
    await suite.datasets.register(
      'd',
      suite.write(
        'v2/d.csv',
        csv('id,x,added', [
          [1, 'p', 1],
          [2, '', 2],
          [3, 'q', 3],
        ]),
      ),
    );
    const diff = await suite.datasets.diff('d', '1', '2');
    expect(diff.rowCount).toEqual({ before: 2, after: 3, delta: 1 });
    expect(diff.schema.added.map((c) => c.name)).toEqual(['added']);
    expect(diff.schema.removed.map((c) => c.name)).toEqual(['gone']);
    expect(diff.schema.typeChanged).toEqual([{ name: 'x', before: 'BIGINT', after: 'VARCHAR' }]);
    expect(diff.schema.flagsChanged).toEqual([{ name: 'x', field: 'nullable', before: false, after: true }]);
    expect(diff.columns.find((c) => c.name === 'id')).toEqual({
      name: 'id',
      nulls: { before: 0, after: 0, delta: 0 },
      distinct: { before: 2, after: 3, delta: 1 },
      mean: { before: 1.5, after: 2, delta: 0.5 },
    });
    expect(diff.columns.find((c) => c.name === 'x')!.nulls).toEqual({ before: 0, after: 1, delta: 1 });
    await expect(suite.datasets.diff('d', '1', '9')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
