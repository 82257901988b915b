import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp.js';
import { iso, writeCsv } from './support.js';

const temp = makeTempDir('ciclo-features-cli-');
const dir = temp.dir;
const views = join(dir, 'features');
const env = { CICLO_HOME: join(dir, 'home') };

// The CLI is the built one (`npm test` builds first): rebuilding here would rewrite dist/ under
// the feet of every other test file running at the same time.
beforeAll(() => {
  mkdirSync(views);
  writeCsv(
    views,
    'stats.csv',
    ['customer_id', 'event_time', 'spend'],
    [
      [1, iso(1), 10],
      [1, iso(3), 30],
      [2, iso(2), 20],
    ],
  );
  writeFileSync(
    join(views, 'stats.yaml'),
    [
      'name: stats',
      'entities: [customer_id]',
      'event_time: event_time',
      'source: { path: stats.csv }',
      'features: [spend]',
      'ttl: 30d',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(views, 'broken.yaml'),
    [
      'name: broken',
      'entities: [customer_id]',
      'event_time: event_time',
      'source: { path: stats.csv }',
      'features: [spend, spnd]',
      '',
    ].join('\n'),
  );
  writeCsv(
    dir,
    'entities.csv',
    ['customer_id', 'event_timestamp'],
    [
      [1, iso(2)],
      [1, iso(4)],
      [3, iso(4)],
    ],
  );
  writeCsv(dir, 'no-ts.csv', ['customer_id', 'ts'], [[1, iso(2)]]);
});
afterAll(() => temp.remove());

const cli = (...args: string[]) => runCli(args, env);

describe('ciclo features', () => {
  it('validate checks views by name or path', async () => {
    const ok = await cli('features', 'validate', 'stats', '--views-dir', views);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok  stats: 1 feature(s) keyed by customer_id');
    const bad = await cli('features', 'validate', join(views, 'broken.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('features[1]: unknown column "spnd"');
    expect(bad.stderr).toContain(`at: ${join(views, 'broken.yaml')}:5:19`);
    const missing = await cli('features', 'validate', 'nope', '--views-dir', views);
    expect(missing.code).toBe(3);
  });

  it('get-historical prints point-in-time rows, as JSON or to a file', async () => {
    const json = await cli(
      '--json',
      'features',
      'get-historical',
      '--entities',
      join(dir, 'entities.csv'),
      '--view',
      'stats',
      '--views-dir',
      views,
    );
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual([
      { customer_id: 1, event_timestamp: iso(2), spend: 10 },
      { customer_id: 1, event_timestamp: iso(4), spend: 30 },
      { customer_id: 3, event_timestamp: iso(4), spend: null },
    ]);
    const table = await cli(
      'features',
      'get-historical',
      '--entities',
      join(dir, 'entities.csv'),
      '--view',
      join(views, 'stats.yaml'),
    );
    expect(table.stdout.split('\n')[0]).toMatch(/^customer_id\s+event_timestamp\s+spend$/);
    const out = join(dir, 'train.parquet');
    const written = await cli(
      'features',
      'get-historical',
      '--entities',
      join(dir, 'entities.csv'),
      '--view',
      'stats',
      '--views-dir',
      views,
      '--out',
      out,
    );
    expect(written.stdout).toContain('wrote 3 row(s)');
    expect(existsSync(out)).toBe(true);
  });

  it('get-historical names a missing timestamp column', async () => {
    const result = await cli(
      'features',
      'get-historical',
      '--entities',
      join(dir, 'no-ts.csv'),
      '--view',
      'stats',
      '--views-dir',
      views,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no timestamp column "event_timestamp"');
    expect(result.stderr).toContain('--timestamp-column');
    const fixed = await cli(
      'features',
      'get-historical',
      '--entities',
      join(dir, 'no-ts.csv'),
      '--view',
      'stats',
      '--views-dir',
      views,
      '--timestamp-column',
      'ts',
    );
    expect(fixed.code).toBe(0);
  });

  it('materialize writes to the online store incrementally; get-online reads it', async () => {
    const first = await cli('--json', 'features', 'materialize', 'stats', '--views-dir', views);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject([
      { view: 'stats', since: null, entities: 2, written: 2, watermark: iso(3) },
    ]);
    expect(existsSync(join(dir, 'home', 'online.db'))).toBe(true);
    const again = await cli('--json', 'features', 'materialize', 'stats', '--views-dir', views);
    expect(JSON.parse(again.stdout)).toMatchObject([{ since: iso(3), entities: 1 }]);
    const since = await cli('--json', 'features', 'materialize', 'stats', '--views-dir', views, '--since', iso(1));
    expect(JSON.parse(since.stdout)).toMatchObject([{ since: iso(1), entities: 2 }]);
    const online = await cli(
      '--json',
      'features',
      'get-online',
      'stats',
      '--entity',
      'customer_id=1',
      '--entity',
      'customer_id=3',
      '--at',
      iso(5),
    );
    expect(JSON.parse(online.stdout)).toMatchObject({
      results: [
        { entity: { customer_id: '1' }, status: 'found', event_time: iso(3), values: { spend: 30 } },
        { status: 'missing', values: { spend: null } },
      ],
    });
    const now = await cli('--json', 'features', 'get-online', 'stats', '--entity', 'customer_id=1');
    expect(JSON.parse(now.stdout)).toMatchObject({ results: [{ status: 'expired', values: { spend: null } }] });
    const bad = await cli('features', 'materialize', 'stats', '--views-dir', views, '--since', 'yesterday');
    expect(bad.code).toBe(2);
  });

  it('resolves dataset: sources through the local dataset store', async () => {
    const registered = await cli('data', 'register', 'spend', join(views, 'stats.csv'));
    expect(registered.stderr).toBe('');
    expect(registered.code).toBe(0);
    writeFileSync(
      join(views, 'from-dataset.yaml'),
      [
        'name: from_dataset',
        'entities: [customer_id]',
        'event_time: event_time',
        'source: { dataset: spend@1 }',
        'features: [spend]',
        '',
      ].join('\n'),
    );
    const json = await cli(
      '--json',
      'features',
      'get-historical',
      '--entities',
      join(dir, 'entities.csv'),
      '--view',
      'from-dataset',
      '--views-dir',
      views,
    );
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).map((r: { spend: unknown }) => r.spend)).toEqual([10, 30, null]);
    writeFileSync(
      join(views, 'no-dataset.yaml'),
      [
        'name: no_dataset',
        'entities: [customer_id]',
        'event_time: event_time',
        'source: { dataset: nope }',
        'features: [spend]',
        '',
      ].join('\n'),
    );
    const unknown = await cli('features', 'validate', 'no-dataset', '--views-dir', views);
    expect(unknown.code).toBe(3);
  });
});
