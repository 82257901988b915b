import { sql, type Kysely } from 'kysely';
import type { Schema } from '../store/index.js';
import type { CursorStore } from './types.js';

/** Queries over `trigger_state`: one row per (pipeline, trigger), created on first write. */

export interface TriggerCounters {
  cursor: string | undefined;
  fired: number;
  dropped: number;
  lastFiredTime: number | undefined;
}

export class TriggerStateStore {
  readonly #db: Kysely<Schema>;
  readonly #now: () => number;

  constructor(db: Kysely<Schema>, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async read(pipeline: string, trigger: string): Promise<TriggerCounters> {
    const row = await this.#db
      .selectFrom('trigger_state')
      .selectAll()
      .where('pipeline_name', '=', pipeline)
      .where('trigger_name', '=', trigger)
      .executeTakeFirst();
    return {
      cursor: row?.cursor ?? undefined,
      fired: Number(row?.fired_count ?? 0),
      dropped: Number(row?.dropped_count ?? 0),
      lastFiredTime: row?.last_fired_time === null || row === undefined ? undefined : Number(row.last_fired_time),
    };
  }

  cursor(pipeline: string, trigger: string): CursorStore {
    return {
      get: async () => (await this.read(pipeline, trigger)).cursor,
      set: async (cursor) => {
        const now = this.#now();
        await this.#db
          .insertInto('trigger_state')
          .values({ pipeline_name: pipeline, trigger_name: trigger, cursor, updated_time: now })
          .onConflict((oc) => oc.columns(['pipeline_name', 'trigger_name']).doUpdateSet({ cursor, updated_time: now }))
          .execute();
      },
    };
  }

  /** Counts one firing; an upsert so two servers counting at once both land. */
  async count(pipeline: string, trigger: string, outcome: 'fired' | 'dropped'): Promise<void> {
    const now = this.#now();
    const fired = outcome === 'fired' ? 1 : 0;
    const dropped = outcome === 'dropped' ? 1 : 0;
    await this.#db
      .insertInto('trigger_state')
      .values({
        pipeline_name: pipeline,
        trigger_name: trigger,
        cursor: null,
        fired_count: fired,
        dropped_count: dropped,
        last_fired_time: fired ? now : null,
        updated_time: now,
      })
      .onConflict((oc) =>
        oc.columns(['pipeline_name', 'trigger_name']).doUpdateSet({
          fired_count: sql<number>`trigger_state.fired_count + ${fired}`,
          dropped_count: sql<number>`trigger_state.dropped_count + ${dropped}`,
          ...(fired ? { last_fired_time: now } : {}),
          updated_time: now,
        }),
      )
      .execute();
  }
}
