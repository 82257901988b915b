// Runs the built CLI and SDK (npm run build) in child processes, which inherit this process's umask.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteOnlineStore } from '../../src/features/online/sqlite.js';
import { openDatabase } from '../../src/store/index.js';
import { runCli } from '../cli/run-cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { makeTempDir } from '../support/temp.js';

const SDK = new URL('../../dist/sdk/index.js', import.meta.url).href;

/** The usual umask, under which Ciclo's folders came out 0755 and its files 0644. */
const USUAL_UMASK = 0o022;
let savedUmask: number;
beforeAll(() => {
  savedUmask = process.umask(USUAL_UMASK);
});
afterAll(() => {
  process.umask(savedUmask);
});

/** Every path under `root` whose mode is not owner-only (folders 0700, files 0600), as `path mode`. */
function notPrivate(root: string): { seen: string[]; wrong: string[] } {
  const seen: string[] = [];
  const wrong: string[] = [];
  const visit = (path: string) => {
    const stats = statSync(path);
    const mode = stats.mode & 0o777;
    const name = relative(root, path) || '.';
    seen.push(name);
    if (mode !== (stats.isDirectory() ? 0o700 : 0o600)) wrong.push(`${name} ${mode.toString(8)}`);
    if (stats.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(root);
  return { seen, wrong };
}

describe.each(DIALECTS)('files Ciclo creates in CICLO_HOME are owner-only whatever the umask (%s)', (dialect) => {
  let temp: { dir: string; remove(): void };
  let database: TestDatabase | undefined;
  let home: string;
  let env: Record<string, string>;

  beforeEach(async () => {
    temp = makeTempDir('ciclo-modes-');
    home = join(temp.dir, 'home');
    database = dialect === 'postgres' ? await createTestDatabase('postgres') : undefined;
    env = { CICLO_HOME: home, ...(database ? { CICLO_DATABASE_URL: database.url } : {}) };
  });

  afterEach(async () => {
    await database?.drop();
    temp.remove();
  });

  it('keeps the home 0700 and the database, WAL/SHM, online store, blobs and step logs 0600', async () => {
    // A run with a metric and an artifact, logged through the SDK in a process of its own.
    const artifact = join(temp.dir, 'model.txt');
    writeFileSync(artifact, 'weights\n');
    const script = join(temp.dir, 'log-run.mjs');
    writeFileSync(
      script,
      [
        `import { Ciclo } from ${JSON.stringify(SDK)};`,
        'const ciclo = await Ciclo.connect();',
        `await ciclo.withRun({ experiment: 'modes', captureCode: false }, async (run) => { run.log({ auc: 0.9 }); ` +
          `await run.logArtifact(${JSON.stringify(artifact)}, 'model.txt'); });`,
        'await ciclo.close();',
      ].join('\n'),
    );

    const data = join(temp.dir, 'data');
    mkdirSync(data);
    writeFileSync(
      join(data, 'stats.csv'),
      'customer_id,event_time,spend\n1,2024-01-01T00:00:00Z,10\n2,2024-01-02T00:00:00Z,20\n',
    );
    writeFileSync(
      join(data, 'stats.yaml'),
      [
        'name: stats',
        'entities: [customer_id]',
        'event_time: event_time',
        'source: { path: stats.csv }',
        'features: [spend]',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(data, 'pipeline.yaml'),
      [
        'name: count',
        'steps:',
        '  - name: count',
        '    kind: command',
        // The step's own files follow its umask (README); this one asks for owner-only.
        '    command: [sh, -c, "umask 077; wc -l < $CICLO_INPUT_STATS > $CICLO_OUTPUT_DIR/n"]',
        '    inputs: { stats: datasets.stats }',
        '    outputs: { n: { type: file } }',
        '  - name: make',
        '    kind: command',
        '    command: [sh, -c, "umask 077; echo made > $CICLO_OUTPUT_DIR/made"]',
        '    outputs: { made: { type: file } }',
        '',
      ].join('\n'),
    );
    const succeeds = async (...args: string[]) => {
      const result = await runCli(args, env);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code, args.join(' ')).toBe(0);
    };
    // The first command creates the store; the rest touch different parts of it, side by side.
    await succeeds('data', 'register', 'stats', join(data, 'stats.csv'));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
    await Promise.all([
      promisify(execFile)(process.execPath, [script], { env: { ...inherited, ...env } }),
      succeeds('features', 'materialize', 'stats', '--views-dir', data),
      // The second run is a cache hit: its step folders are made by copying the first run's outputs.
      succeeds('pipeline', 'run', data).then(() => succeeds('pipeline', 'run', data)),
    ]);

    // Open, SQLite keeps its -wal and -shm files beside each database; Ciclo's own openers make them here.
    const metadata =
      dialect === 'sqlite' ? await openDatabase({ dialect: 'sqlite', file: join(home, 'ciclo.db') }) : undefined;
    const online = new SqliteOnlineStore(join(home, 'online.db'));
    try {
      const { seen, wrong } = notPrivate(home);
      expect(wrong).toEqual([]);
      expect(seen).toEqual(expect.arrayContaining(['.', 'online.db', 'online.db-wal', 'online.db-shm']));
      if (dialect === 'sqlite')
        expect(seen).toEqual(expect.arrayContaining(['ciclo.db', 'ciclo.db-wal', 'ciclo.db-shm']));
      // The run's artifact and the dataset's file are blobs; the step left its log and its input copy.
      expect(seen.filter((path) => path.startsWith('artifacts/sha256/')).length).toBeGreaterThanOrEqual(4);
      expect(seen.some((path) => path.startsWith('pipelines/') && path.endsWith('.log'))).toBe(true);
      expect(seen.filter((path) => /^pipelines\/[0-9a-f]+\/make\/outputs\/made$/.test(path))).toHaveLength(2);
    } finally {
      await online.close();
      await metadata?.close();
    }
  });
});

describe('a home an older version left readable to everyone', () => {
  let temp: { dir: string; remove(): void };
  afterEach(() => temp.remove());

  it('is tightened to 0700 when opened, its database and WAL/SHM to 0600', async () => {
    temp = makeTempDir('ciclo-old-home-');
    const home = join(temp.dir, 'home');
    mkdirSync(home);
    chmodSync(home, 0o755);
    // What older versions did: SQLite's own defaults under the umask, and the connection left open,
    // so the -wal and -shm files exist (0644) while the CLI opens the home.
    const old = new SQLite(join(home, 'ciclo.db'));
    try {
      old.pragma('journal_mode = WAL');
      old.exec('CREATE TABLE older (id INTEGER)');
      expect(statSync(join(home, 'ciclo.db-wal')).mode & 0o777).toBe(0o644);

      const listed = await runCli(['experiments', 'list'], { CICLO_HOME: home });
      expect(listed.stderr).toBe('');
      expect(listed.code).toBe(0);
      expect(notPrivate(home).wrong).toEqual([]);
    } finally {
      old.close();
    }
  });
});
