// Another process holding the metadata store's write lock: `node --import tsx write-lock-holder.ts <location JSON>`.
// It takes the lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the metrics table in EXCLUSIVE mode, which
// blocks writers and lets readers through), prints "locked", holds it until a line arrives on
// stdin, then commits, prints "released" and exits.
import { once } from 'node:events';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseLocation } from '../../src/store/index.js';

const location = JSON.parse(process.argv[2]!) as DatabaseLocation;
if (location.dialect === 'sqlite') {
  const db = new SQLite(location.file);
  db.exec('BEGIN IMMEDIATE');
  process.stdout.write('locked\n');
  await once(process.stdin, 'data');
  db.exec('COMMIT');
  db.close();
} else {
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE metrics IN EXCLUSIVE MODE');
  process.stdout.write('locked\n');
  await once(process.stdin, 'data');
  await client.query('COMMIT');
  await client.end();
}
process.stdout.write('released\n');
