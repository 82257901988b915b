import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { csv, useDataSuite, writeParquet } from './support.js';

// Every bad input is an error that says where, and leaves no version and no blob behind.
describe.each(DIALECTS)('DatasetService bad input on %s', (dialect) => {
  const suite = useDataSuite(dialect);

  async function rejects(path: string, options: Parameters<typeof suite.datasets.register>[2] = {}) {
    const error = await suite.datasets.register('bad', path, options).catch((e: unknown) => e);
    expect(await suite.versionCount()).toBe(0);
    expect(suite.blobFiles()).toEqual([]);
    return error as { code: string; message: string; details: { where?: string; hint?: string } };
  }

  it('a ragged CSV: file:line, the reason and the line', async () => {
    const file = suite.write('ragged.csv', 'a,b\n1,2\n3,4,5\n6,7\n8\n');
    const error = await rejects(file);
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details.where).toBe(`${file}:3`);
    expect(error.message).toContain(`${file}:3: Expected Number of Columns: 2 Found: 3 (TOO MANY COLUMNS): 3,4,5`);
    expect(error.message).toContain(`${file}:5: Expected Number of Columns: 2 Found: 1 (MISSING COLUMNS): 8`);
  });

  it('a ragged line deep in a large CSV, past the sniffer sample', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => [i, `v${i}`]);
    const file = suite.write('big.csv', `${csv('a,b', rows)}1,2,3\n`);
    const error = await rejects(file);
    expect(error.details.where).toBe(`${file}:30002`);
  });

  it("a metadata line above the header (scikit-learn's CSVs): each bad line once, the count right", async () => {
    const rows = Array.from({ length: 8 }, (_, i) => [i, i * 2, i % 2]);
    const file = suite.write('sklearn-like.csv', `8,2,benign,malignant\n${csv('a,b,target', rows)}`);
    const error = await rejects(file);
    // The metadata line is taken for the header (4 fields): the header and every row (3 fields) are bad.
    const named = error.message.split('\n').filter((line) => line.startsWith(`${file}:`));
    expect(named.map((line) => line.split(':')[1])).toEqual(['2', '3', '4', '5', '6']);
    expect(error.message).toContain('… and 4 more bad lines');
  });

  it('--skip-rows: the version stores the files without the lines above the header', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => [i, i * 2, i % 2]);
    const file = suite.write('skip.csv', `8,2,benign,malignant\n${csv('a,b,target', rows)}`);
    const { version } = await suite.datasets.register('skipped', file, { skipRows: 1 });
    expect(version.rowCount).toBe(8);
    expect(version.schema.map((column) => column.name)).toEqual(['a', 'b', 'target']);
    expect(version.files.map((f) => f.path)).toEqual(['skip.csv']);
    expect(readFileSync(suite.blobFiles()[0]!, 'utf8')).toBe(csv('a,b,target', rows));
    // A bad line is named by the user's file and its own line number, not the copy's.
    const ragged = suite.write('skip-ragged.csv', `meta\n${csv('a,b', [[1, 2]])}3,4,5\n`);
    const error = await suite.datasets.register('ragged', ragged, { skipRows: 1 }).catch((e: unknown) => e);
    expect((error as { details: { where: string } }).details.where).toBe(`${ragged}:4`);
    await expect(suite.datasets.register('neg', file, { skipRows: -1 })).rejects.toThrow(/skipRows/);
    const parquet = join(suite.dir, 'p.parquet');
    await writeParquet(parquet, 'SELECT 1 AS a');
    await expect(suite.datasets.register('pq', parquet, { skipRows: 1 })).rejects.toThrow(/applies to CSV files/);
  });

  it('an unterminated quote: file:line and DuckDB reason', async () => {
    const file = suite.write('quote.csv', 'a,b\n1,x\n2,"never closed\n3,y\n');
    const error = await rejects(file);
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details.where).toBe(`${file}:3`);
    expect(error.message).toContain('Value with unterminated quote found. (UNQUOTED VALUE)');
  });

  it('an unterminated quote in the header', async () => {
    const file = suite.write('header.csv', 'a,"b\n1,2\n');
    const error = await rejects(file);
    expect(error.details.where).toBe(`${file}:1`);
  });

  it('a 0-byte file, in any format', async () => {
    for (const name of ['empty.csv', 'empty.parquet', 'empty.jsonl']) {
      const file = suite.write(name, '');
      const error = await rejects(file);
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: `${file} is empty (0 bytes)` });
    }
  });

  it('a CSV with a header and no rows (decided: an error, its types cannot be told)', async () => {
    const file = suite.write('header-only.csv', 'a,b\n');
    const error = await rejects(file);
    expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: `${file} has a header and no rows` });
    // One header-only file in a folder of good ones is refused too: it would turn every column to VARCHAR.
    suite.write('folder/good.csv', csv('a,b', [[1, 2]]));
    suite.write('folder/none.csv', 'a,b\n');
    expect((await rejects(join(suite.dir, 'folder'))).message).toContain('none.csv has a header and no rows');
  });

  it('a Parquet file with no rows', async () => {
    const file = await writeParquet(join(suite.dir, 'none.parquet'), 'SELECT 1 AS a WHERE false');
    expect((await rejects(file)).message).toContain('has no rows');
  });

  it('mixed formats in one folder', async () => {
    suite.write('mixed/a.csv', csv('a', [[1]]));
    suite.write('mixed/b.jsonl', '{"a": 1}\n');
    const error = await rejects(join(suite.dir, 'mixed'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain('mixes formats: csv (a.csv); jsonl (b.jsonl)');
  });

  it('a path or glob that names nothing (RESOURCE_DOES_NOT_EXIST: exit 3)', async () => {
    expect(await rejects(join(suite.dir, 'missing.csv'))).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await rejects(join(suite.dir, 'nothing', '*.csv'))).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(await rejects(join(suite.dir, 'x.csv'), { schema: join(suite.dir, 'no-schema.yaml') })).toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('a folder without data files, and a file of unknown format', async () => {
    suite.write('docs/README.md', 'hello');
    expect((await rejects(join(suite.dir, 'docs'))).message).toContain('holds no data files');
    expect((await rejects(suite.write('data.txt', 'a\n1\n'))).message).toContain('cannot tell the format');
  });

  it('an unknown sensitive column', async () => {
    const file = suite.write('d.csv', csv('id,email', [[1, 'a@x.org']]));
    const error = await rejects(file, { sensitive: ['email', 'phone'] });
    expect(error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: 'unknown sensitive column: phone' });
    expect(error.details.hint).toBe('the columns are: id, email');
  });

  it('malformed JSON Lines and a value that breaks the sniffed type past the sample', async () => {
    expect((await rejects(suite.write('bad.jsonl', '{"a": 1}\n{"a": \n'))).code).toBe('INVALID_PARAMETER_VALUE');
    const rows = Array.from({ length: 30_000 }, (_, i) => [i]);
    const error = await rejects(suite.write('late.csv', `${csv('a', rows)}oops\n`));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain('oops');
  });

  it('an invalid dataset name', async () => {
    const file = suite.write('d.csv', csv('a', [[1]]));
    await expect(suite.datasets.register('bad@name', file)).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      details: { where: 'name' },
    });
  });
});
