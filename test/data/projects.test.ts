import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../../src/common/errors.js';
import { configEnvironment } from '../../src/common/config.js';
import { runCli } from '../cli/run-cli.js';
import { DIALECTS } from '../support/databases.js';
import { csv, useDataSuite } from './support.js';

describe.each(DIALECTS)('datasets in projects on %s', (dialect) => {
  const suite = useDataSuite(dialect);
  const rows = (n: number) =>
    csv(
      'id,score',
      Array.from({ length: n }, (_, i) => [i + 1, i / 10]),
    );

  it('registers a new dataset into the project asked for, default otherwise, and says so', async () => {
    await suite.test.context.access.createProject('alpha');
    const alpha = await suite.datasets.register('scores', suite.write('a.csv', rows(2)), { project: 'alpha' });
    expect(alpha.version).toMatchObject({ name: 'scores', project: 'alpha', version: 1 });
    const plain = await suite.datasets.register('plain', suite.write('p.csv', rows(2)));
    expect(plain.version.project).toBe('default');
    expect((await suite.datasets.list()).map((d) => [d.name, d.project])).toEqual([
      ['plain', 'default'],
      ['scores', 'alpha'],
    ]);
    expect((await suite.datasets.list({ projects: ['alpha'] })).map((d) => d.name)).toEqual(['scores']);
    expect(await suite.datasets.list({ projects: [] })).toEqual([]);
  });

  it(
    "keeps a new version in its dataset's project and refuses one registered into another, " +
      'before copying anything',
    async () => {
      const { access } = suite.test.context;
      await access.createProject('alpha');
      await access.createProject('beta');
      await suite.datasets.register('scores', suite.write('a.csv', rows(2)), { project: 'alpha' });
      const second = await suite.datasets.register('scores', suite.write('b.csv', rows(3)));
      expect(second.version).toMatchObject({ version: 2, project: 'alpha' });
      const blobs = suite.blobFiles().length;

      const refused = suite.datasets.register('scores', suite.write('c.csv', rows(4)), { project: 'beta' });
      await expect(refused).rejects.toThrow(InvalidStateError);
      await expect(refused).rejects.toMatchObject({
        message: expect.stringContaining("is in project 'alpha'"),
        details: { where: 'project', hint: expect.stringContaining('ciclo data move scores --project beta') },
      });
      expect(await suite.versionCount()).toBe(2);
      expect(suite.blobFiles()).toHaveLength(blobs);
    },
  );

  it('refuses a project that does not exist or is no project name, and writes nothing', async () => {
    await expect(
      suite.datasets.register('scores', suite.write('a.csv', rows(2)), { project: 'nowhere' }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      suite.datasets.register('scores', suite.write('a.csv', rows(2)), { project: 'Not A Name' }),
    ).rejects.toThrow(InvalidInputError);
    expect(await suite.versionCount()).toBe(0);
    expect(await suite.datasets.list()).toEqual([]);
  });

  it('moves a dataset to an existing project with an audit entry; an unknown one changes nothing', async () => {
    const { access, audit } = suite.test.context;
    await access.createProject('beta');
    await suite.datasets.register('scores', suite.write('a.csv', rows(2)));
    await expect(suite.datasets.moveToProject('scores', 'nowhere')).rejects.toThrow(NotFoundError);
    await expect(suite.datasets.moveToProject('missing', 'beta')).rejects.toThrow(NotFoundError);
    expect((await suite.datasets.show('scores')).project).toBe('default');

    expect(await suite.datasets.moveToProject('scores', 'beta')).toMatchObject({
      name: 'scores',
      project: 'beta',
      versionCount: 1,
    });
    expect((await suite.datasets.show('scores@1')).project).toBe('beta');
    const entries = await audit.list({ target: { type: 'dataset', id: 'scores' } });
    expect(entries).toMatchObject([{ action: 'dataset.move', details: { from: 'default', to: 'beta' } }]);
    // Moving it where it is is no change and no entry.
    await suite.datasets.moveToProject('scores', 'beta');
    expect(await audit.list({ target: { type: 'dataset', id: 'scores' } })).toHaveLength(1);
  });

  it('ciclo data register --project and ciclo data move (the built CLI)', async () => {
    await suite.test.context.access.createProject('alpha');
    await suite.test.context.access.createProject('beta');
    const cli = (...args: string[]) => runCli(args, configEnvironment(suite.test.config));
    const file = suite.write('a.csv', rows(2));

    const registered = await cli('data', 'register', 'scores', file, '--project', 'alpha');
    expect(registered.stderr).toBe('');
    expect(registered.stdout).toMatch(/project +alpha/);
    const refused = await cli('data', 'register', 'scores', suite.write('b.csv', rows(3)), '--project', 'beta');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("is in project 'alpha'");

    const moved = await cli('--json', 'data', 'move', 'scores', '--project', 'beta');
    expect(moved.stderr).toBe('');
    expect(JSON.parse(moved.stdout)).toMatchObject({ name: 'scores', project: 'beta' });
  });
});
