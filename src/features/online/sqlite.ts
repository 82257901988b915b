import SQLite from 'better-sqlite3';
import { preparePrivateSqliteFile } from '../../common/private-files.js';
import type { OnlineRecord, OnlineStore, OnlineViewMeta, OnlineViewState } from './types.js';

/**
 * The default online store: one SQLite file of its own (`<CICLO_HOME>/online.db`), in WAL so
 * lookups read while materialization writes. One table for every view, keyed by (view, entity key);
 * values are a JSON object. Every statement is prepared once.
 */
export class SqliteOnlineStore implements OnlineStore {
  readonly #database: SQLite.Database;
  readonly #upsert: SQLite.Statement<[string, string, number, string]>;
  readonly #selectOne: SQLite.Statement<[string, string]>;
  readonly #upsertView: SQLite.Statement<[string, string, number]>;
  readonly #selectView: SQLite.Statement<[string]>;
  readonly #raiseWatermark: SQLite.Statement<[number, number, number, string]>;
  readonly #writeMany: (view: string, records: readonly OnlineRecord[]) => number;

  constructor(readonly file: string) {
    preparePrivateSqliteFile(file);
    this.#database = new SQLite(file);
    this.#database.pragma('journal_mode = WAL');
    this.#database.pragma('synchronous = NORMAL');
    this.#database.pragma('busy_timeout = 5000');
    this.#database.exec(`
      CREATE TABLE IF NOT EXISTS online_features (
        view TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        event_time INTEGER NOT NULL,
        feature_values TEXT NOT NULL,
        PRIMARY KEY (view, entity_key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS online_views (
        view TEXT PRIMARY KEY,
        meta TEXT NOT NULL,
        watermark INTEGER,
        updated_time INTEGER NOT NULL
      );
    `);
    this.#upsert = this.#database.prepare(`
      INSERT INTO online_features (view, entity_key, event_time, feature_values) VALUES (?, ?, ?, ?)
      ON CONFLICT (view, entity_key) DO UPDATE SET
        event_time = excluded.event_time, feature_values = excluded.feature_values
      WHERE excluded.event_time >= online_features.event_time`);
    this.#selectOne = this.#database.prepare(
      'SELECT entity_key, event_time, feature_values FROM online_features WHERE view = ? AND entity_key = ?',
    );
    this.#upsertView = this.#database.prepare(`
      INSERT INTO online_views (view, meta, updated_time) VALUES (?, ?, ?)
      ON CONFLICT (view) DO UPDATE SET meta = excluded.meta, updated_time = excluded.updated_time`);
    this.#selectView = this.#database.prepare('SELECT meta, watermark, updated_time FROM online_views WHERE view = ?');
    this.#raiseWatermark = this.#database.prepare(
      'UPDATE online_views SET watermark = max(coalesce(watermark, ?), ?), updated_time = ? WHERE view = ?',
    );
    this.#writeMany = this.#database.transaction((view: string, records: readonly OnlineRecord[]) => {
      let written = 0;
      for (const record of records)
        written += this.#upsert.run(view, record.key, record.eventTime, JSON.stringify(record.values)).changes;
      return written;
    });
  }

  get description(): string {
    return `sqlite:${this.file}`;
  }

  async write(view: string, records: readonly OnlineRecord[]): Promise<number> {
    return this.#writeMany(view, records);
  }

  async read(view: string, keys: readonly string[]): Promise<(OnlineRecord | null)[]> {
    return keys.map((key) => {
      const row = this.#selectOne.get(view, key) as
        { entity_key: string; event_time: number; feature_values: string } | undefined;
      return row
        ? {
            key: row.entity_key,
            eventTime: row.event_time,
            values: JSON.parse(row.feature_values) as OnlineRecord['values'],
          }
        : null;
    });
  }

  async putView(meta: OnlineViewMeta): Promise<void> {
    this.#upsertView.run(meta.name, JSON.stringify(meta), Date.now());
  }

  async getView(view: string): Promise<OnlineViewState | undefined> {
    const row = this.#selectView.get(view) as
      { meta: string; watermark: number | null; updated_time: number } | undefined;
    if (!row) return undefined;
    return { ...(JSON.parse(row.meta) as OnlineViewMeta), watermark: row.watermark, updatedTime: row.updated_time };
  }

  async advanceWatermark(view: string, eventTime: number): Promise<void> {
    this.#raiseWatermark.run(eventTime, eventTime, Date.now(), view);
  }

  async close(): Promise<void> {
    if (this.#database.open) this.#database.close();
  }
}
