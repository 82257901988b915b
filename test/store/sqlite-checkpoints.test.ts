import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openKysely } from '../../src/store/dialect.js';
import type { Schema } from '../../src/store/index.js';
import { makeTempDir } from '../support/temp.js';
import { waitFor } from '../support/wait.js';

/**
 * The writer's connection leaves checkpoints to a thread of its own (its own threshold is 20,000 pages): the
 * database file grows while the writer only commits, and closing still leaves no WAL behind.
 */
describe('SQLite checkpoints off the writer', () => {
  let temp: ReturnType<typeof makeTempDir> | undefined;
  afterEach(() => temp?.remove());

  const open = (): { db: Kysely<Schema>; file: string } => {
    temp = makeTempDir();
    const file = join(temp.dir, 'ciclo.db');
    return { db: openKysely({ dialect: 'sqlite', file }), file };
  };

  it('copies committed pages into the database file while the writer goes on', async () => {
    const { db, file } = open();
    await sql`create table filler (id integer primary key, body text not null)`.execute(db);
    const body = 'x'.repeat(4000);
    // ~4,000 pages in 400 commits: far below the writer's own threshold, so only the thread copies them back.
    for (let commit = 0; commit < 400; commit++) {
      await db.transaction().execute(async (trx) => {
        for (let row = 0; row < 10; row++) await sql`insert into filler (body) values (${body})`.execute(trx);
      });
    }
    const copied = await waitFor('the pages in the database file', () =>
      statSync(file).size > 2000 * 4096 ? statSync(file).size : undefined,
    );
    expect(copied).toBeGreaterThan(2000 * 4096);
    const { rows } = await sql<{ n: number }>`select count(*) as n from filler`.execute(db);
    expect(rows[0]!.n).toBe(4000);
    await db.destroy();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
