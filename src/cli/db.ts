import type { Command } from 'commander';
import { sql } from 'kysely';
import { loadConfig } from '../common/config.js';
import { openDatabase } from '../store/index.js';
import { renderTable } from './format.js';
import { emit } from './output.js';

interface MigrationRow {
  name: string;
  timestamp: string;
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('the metadata store');

  db.command('migrate')
    .description('bring the metadata store (CICLO_DATABASE_URL, or the SQLite file in CICLO_HOME) to the latest schema')
    .action(async (_options: object, command: Command) => {
      const database = await openDatabase(loadConfig().database);
      try {
        // Opening migrates; Kysely's bookkeeping table says what exists and when each was applied.
        const { rows } = await sql<MigrationRow>`select name, timestamp from ciclo_migrations order by name`.execute(
          database.db,
        );
        const applied = [...database.appliedMigrations];
        const migrations = rows.map((row) => ({
          name: row.name,
          appliedAt: row.timestamp,
          applied: applied.includes(row.name),
        }));
        emit(
          command,
          {
            database: database.dialect,
            applied,
            migrations: migrations.map(({ name, appliedAt }) => ({ name, appliedAt })),
          },
          () =>
            [
              applied.length === 0
                ? `The ${database.dialect} store is up to date.`
                : `Applied ${applied.length} migration(s) to the ${database.dialect} store.`,
              renderTable(
                ['MIGRATION', 'APPLIED AT', ''],
                migrations.map((m) => [m.name, m.appliedAt, m.applied ? 'new' : '']),
              ),
            ].join('\n'),
        );
      } finally {
        await database.close();
      }
    });
}
