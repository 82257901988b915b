import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/common/errors.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { iso, writeCsv } from './support.js';

describe.each(DIALECTS)("the context's FeatureService on %s", (dialect) => {
  let test: TestContext;

  beforeEach(async () => {
    test = await openTestContext(dialect);
  });
  afterEach(async () => {
    await test.drop();
  });

  /** A view file over `source`, in the test's folder; returns its path. */
  function viewFile(name: string, source: string): string {
    const file = join(test.dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        'project: risk',
        'entities: [customer_id]',
        'event_time: event_time',
        `source: ${source}`,
        'features: [spend]',
        '',
      ].join('\n'),
    );
    return file;
  }

  it(
    "materializes a dataset: view through the context's datasets, records it in the audit log " +
      "and looks it up in the view's project",
    async () => {
      const csv = writeCsv(
        test.dir,
        'spend.csv',
        ['customer_id', 'event_time', 'spend'],
        [
          [1, iso(1), 10],
          [1, iso(3), 30],
          [2, iso(2), 20],
        ],
      );
      await test.context.datasets.register('spend', csv);
      const { features, audit } = test.context;
      const mark = (await audit.head()).seq;

      const [result] = await features.materialize({ views: [viewFile('spend_stats', '{ dataset: spend@1 }')] });
      expect(result).toMatchObject({
        view: 'spend_stats',
        since: null,
        entities: 2,
        written: 2,
        watermark: Date.parse(iso(3)),
      });
      expect(result!.store).toContain('online.db');
      const entries = await audit.list({ after: mark, limit: 100 });
      expect(entries.map((entry) => `${entry.action} ${entry.target.type}:${entry.target.id}`)).toEqual([
        'feature_view.materialize feature_view:spend_stats',
      ]);

      const request = { view: 'spend_stats', entities: [{ customer_id: 1 }, { customer_id: 7 }] };
      expect(await features.projectOfOnlineView('spend_stats')).toBe('risk');
      expect((await features.lookupOnline(request, { judgedProject: 'risk' })).results).toMatchObject([
        { status: 'found', event_time: iso(3), values: { spend: 30 } },
        { status: 'missing', values: { spend: null } },
      ]);
      await expect(features.lookupOnline(request, { judgedProject: 'default' })).rejects.toThrow(NotFoundError);
    },
  );

  it('opens the online store only when an operation needs it', async () => {
    const online = join(test.config.home, 'online.db');
    const csv = writeCsv(test.dir, 'local.csv', ['customer_id', 'event_time', 'spend'], [[1, iso(1), 10]]);
    const [prepared] = await test.context.features.validate({ views: [viewFile('local_stats', `{ path: ${csv} }`)] });
    expect(prepared!.view.name).toBe('local_stats');
    expect(existsSync(online)).toBe(false);
    await expect(test.context.features.lookupOnline({ view: 'local_stats', entities: [] })).rejects.toThrow(
      NotFoundError,
    );
    expect(existsSync(online)).toBe(true);
  });
});
