import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

describe('finding the store', () => {
  const project = makeTempDir('ciclo-presence-');
  const deeper = join(project.dir, 'src', 'steps');
  mkdirSync(deeper, { recursive: true });
  const cli = (cwd: string, ...args: string[]) => runCli(args, {}, { cwd });
  afterAll(() => project.remove());

  it('has no store above the test folder to find by mistake', () => {
    for (let folder = project.dir; dirname(folder) !== folder; folder = dirname(folder)) {
      expect(existsSync(join(folder, '.ciclo')), folder).toBe(false);
    }
  });

  it('refuses a read where there is no store here or above, and makes none', async () => {
    for (const args of [
      ['runs', 'list'],
      ['models', 'list'],
      ['--json', 'pipeline', 'list'],
    ]) {
      const result = await cli(deeper, ...args);
      expect(result.code, args.join(' ')).toBe(3);
      expect(result.stderr + result.stdout).toContain('no Ciclo store here or above');
      expect(result.stderr + result.stdout).toContain('npx ciclo quickstart');
    }
    const help = await cli(deeper, '--help');
    expect(help.code).toBe(0);
    expect(existsSync(join(deeper, '.ciclo'))).toBe(false);
    expect(existsSync(join(project.dir, '.ciclo'))).toBe(false);
  });

  it('reads feature view files without a store, and names the missing store for a dataset source', async () => {
    const view = (name: string, source: string) =>
      [`name: ${name}`, 'entities: [customer_id]', 'event_time: event_time', `source: ${source}`, 'features: [spend]']
        .concat('')
        .join('\n');
    writeFileSync(join(deeper, 'spend.csv'), 'customer_id,event_time,spend\n1,2024-01-01T00:00:00Z,10\n');
    writeFileSync(join(deeper, 'entities.csv'), 'customer_id,event_timestamp\n1,2024-01-02T00:00:00Z\n');
    writeFileSync(join(deeper, 'by-path.yaml'), view('by_path', '{ path: spend.csv }'));
    writeFileSync(join(deeper, 'by-dataset.yaml'), view('by_dataset', '{ dataset: spend@1 }'));

    expect((await cli(deeper, 'features', 'validate', 'by-path.yaml')).code).toBe(0);
    const rows = await cli(
      deeper,
      '--json',
      'features',
      'get-historical',
      '--entities',
      'entities.csv',
      '--view',
      'by-path.yaml',
    );
    expect(rows.code).toBe(0);
    expect(JSON.parse(rows.stdout)).toEqual([expect.objectContaining({ customer_id: 1, spend: 10 })]);
    for (const args of [
      ['features', 'validate', 'by-dataset.yaml'],
      ['features', 'get-historical', '--entities', 'entities.csv', '--view', 'by-dataset.yaml'],
    ]) {
      const refused = await cli(deeper, ...args);
      expect(refused.code, args.join(' ')).toBe(3);
      expect(refused.stderr).toContain('dataset spend@1: no Ciclo store here or above');
    }
    expect(existsSync(join(deeper, '.ciclo'))).toBe(false);
  });

  it('lets get-online ask the server named by CICLO_TRACKING_URI instead of a local store', async () => {
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runCli(
      ['features', 'get-online', 'by_path', '--entity', 'customer_id=1'],
      { CICLO_TRACKING_URI: `http://127.0.0.1:${port}` },
      { cwd: deeper },
    );
    // It went to the server (nobody listens there), not to a store it would have refused for being absent.
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain('no Ciclo store');
    expect(result.stderr).toContain(`cannot reach the Ciclo server at http://127.0.0.1:${port}`);
    expect(existsSync(join(deeper, '.ciclo'))).toBe(false);
  });

  it('says where a command that may make one makes it, then finds it from the folders below', async () => {
    const created = await cli(project.dir, 'experiments', 'create', 'found-upwards');
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`creating one in ${join(project.dir, '.ciclo')}`);
    const listed = await cli(deeper, '--json', 'experiments', 'list');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((e) => e.name)).toContain('found-upwards');
    expect(existsSync(join(deeper, '.ciclo'))).toBe(false);
    // Found, not made: no note this time.
    expect((await cli(deeper, 'experiments', 'create', 'second')).stderr).toBe('');
  });

  it('uses CICLO_HOME as it is, wherever the command runs', async () => {
    const elsewhere = makeTempDir('ciclo-presence-home-');
    try {
      const home = join(elsewhere.dir, 'store');
      const result = await runCli(['runs', 'list'], { CICLO_HOME: home }, { cwd: deeper });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('No runs.');
    } finally {
      elsewhere.remove();
    }
  });
});

describe('a port that is taken', () => {
  it('is a bad-input error naming the port and how to choose another, with no stack trace', async () => {
    const home = makeTempDir('ciclo-port-');
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await runCli(['server', '--port', String(port)], { CICLO_HOME: home.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} is in use`);
      expect(result.stderr).toContain('--port');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      home.remove();
    }
  });
});
