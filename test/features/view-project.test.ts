import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import { DataEngine } from '../../src/data/duckdb.js';
import { loadFeatureViewYaml, materialize, prepareView, projectOfOnlineView } from '../../src/features/index.js';
import { makeTempDir } from '../support/temp.js';
import { iso, ONLINE_STORES, writeCsv } from './support.js';

const temp = makeTempDir('ciclo-view-project-');
afterAll(() => temp.remove());

const viewYaml = (name: string, project?: string) =>
  [
    `name: ${name}`,
    ...(project === undefined ? [] : [`project: ${project}`]),
    'entities: [id]',
    'event_time: event_time',
    'source: { path: stats.csv }',
    'features: [spend]',
  ].join('\n');

describe("a feature view's project", () => {
  it('is read from the YAML, `default` when left out, and a bad one names file:line:col', () => {
    const file = join(temp.dir, 'view.yaml');
    expect(loadFeatureViewYaml(viewYaml('spend', 'risk'), file).project).toBe('risk');
    expect(loadFeatureViewYaml(viewYaml('spend'), file).project).toBe('default');
    let error: unknown;
    try {
      loadFeatureViewYaml(viewYaml('spend', 'Risk Team'), file);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ message: expect.stringContaining('project'), details: { where: `${file}:2:10` } });
  });
});

describe.each(Object.keys(ONLINE_STORES) as (keyof typeof ONLINE_STORES)[])('the %s online store', (kind) => {
  it('records the project a view was materialized in; one recorded without a project is in default', async () => {
    const { store, cleanup } = await ONLINE_STORES[kind]();
    const engine = await DataEngine.open({ threads: 1 });
    try {
      writeCsv(temp.dir, 'stats.csv', ['id', 'event_time', 'spend'], [[1, iso(1), 10]]);
      const file = join(temp.dir, 'view.yaml');
      await materialize(engine, await prepareView(engine, loadFeatureViewYaml(viewYaml('risky', 'risk'), file)), store);
      expect(await store.getView('risky')).toMatchObject({ name: 'risky', project: 'risk' });
      expect(await projectOfOnlineView(store, 'risky')).toBe('risk');
      await store.putView({ name: 'older', entities: ['id'], features: ['spend'] });
      expect(await projectOfOnlineView(store, 'older')).toBe('default');
      expect(await projectOfOnlineView(store, 'never')).toBeUndefined();
    } finally {
      engine.close();
      await cleanup();
    }
  });
});
