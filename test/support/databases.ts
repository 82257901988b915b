import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseLocation, DialectName } from '../../src/store/index.js';

/** Every store-level suite runs once per dialect; PostgreSQL is never skipped. */
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const POSTGRES_ADMIN_URL = process.env.CICLO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  location: DatabaseLocation;
  /** A URL for CICLO_DATABASE_URL, for child processes. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own: a temp SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ciclo-test-db-'));
    const file = join(dir, 'ciclo.db');
    return {
      location: { dialect: 'sqlite', file },
      url: `sqlite:${file}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `ciclo_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    location: { dialect: 'postgres', url: url.toString() },
    url: url.toString(),
    drop: () => withAdmin(async (client) => dropDatabase(client, name)),
  };
}

/**
 * A cluster-wide advisory lock key. DROP DATABASE makes PostgreSQL checkpoint, and no checkpoint
 * succeeds while a tablespace is full (the disk-full tests fill one on purpose): those tests hold
 * this key exclusively while their tablespace is full, and every drop takes it shared, so a drop
 * waits the few seconds instead of failing with "checkpoint request failed".
 */
export const CHECKPOINT_GATE = 7_310_042;

/** Drops a test database once no tablespace is full (see CHECKPOINT_GATE); the lock ends with the session. */
export async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock_shared($1)', [CHECKPOINT_GATE]);
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
