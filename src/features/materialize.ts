import { sqlIdentifier, type DataEngine, type Row } from '../data/index.js';
import { digestOf, type AuditLog } from '../governance/index.js';
import { encodeEntityKey, type OnlineRecord, type OnlineStore, type OnlineValue } from './online/types.js';
import { CREATED_TIME, EVENT_TIME, SOURCE_ROW, type PreparedView } from './view.js';

export interface MaterializeOptions {
  /**
   * Read rows from this event time (epoch ms) instead of the view's watermark: a backfill. Rows are
   * still only written over older ones, so re-reading is safe.
   */
  since?: number;
  /** Records per online-store write. */
  batchSize?: number;
  /** The materialization's time (epoch ms; default now): rows dated after it are held back. */
  asOf?: number;
  /**
   * Each materialization is appended here once it is written. The online store is not the
   * metadata database, so no transaction spans both: a crash between the two leaves features
   * written without their entry, never an entry for features that were not written.
   */
  audit?: AuditLog;
}

export interface MaterializeResult {
  view: string;
  /** The event time read from (inclusive), or null for the whole source. */
  since: number | null;
  /** Entities whose latest row in the window was read. */
  entities: number;
  /** Records the online store took (the others were older than what it held). */
  written: number;
  /** The view's watermark afterwards: never past `asOf`. */
  watermark: number | null;
  /** The materialization's time: rows with a later event time were not read. */
  asOf: number;
  /** Source rows dated after `asOf`, held back until their time comes. */
  heldBack: number;
}

/**
 * Writes each entity's latest feature row to the online store, incrementally by event time: the
 * view's watermark (the greatest event time materialized, kept in the online store) is where the
 * next run starts reading, inclusive, so rows at exactly the watermark are not missed. The store
 * writes a record only over an older or equal event time, so a newer row is never overwritten by
 * an older one, even by a backfill (`since`) or a late-arriving row.
 *
 * A late-arriving row whose event time is before the watermark is not read by an incremental run
 * (it could only matter for an entity whose stored row is older still); `--since` re-reads it.
 *
 * Rows dated after the materialization's time are held back: served, a row from the future would be
 * `found` before it happened, and the watermark moved past now would leave every row that arrives
 * meanwhile with an event time before it, never to be read. They are read by the first run after their time.
 */
export async function materialize(
  engine: DataEngine,
  prepared: PreparedView,
  store: OnlineStore,
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  const { view } = prepared;
  await store.putView({
    name: view.name,
    project: view.project,
    entities: view.entities,
    features: view.features.map((feature) => feature.name),
    ...(view.ttlMs === undefined ? {} : { ttlMs: view.ttlMs }),
  });
  const state = await store.getView(view.name);
  const since = options.since ?? state?.watermark ?? null;
  const keys = view.entities.map(sqlIdentifier);
  const features = view.features.map((feature) => sqlIdentifier(feature.name));
  const asOf = Math.trunc(options.asOf ?? Date.now());
  const notAfter = `${EVENT_TIME} <= make_timestamp(${asOf}::BIGINT * 1000)`;
  const where =
    since === null
      ? `${EVENT_TIME} IS NOT NULL AND ${notAfter}`
      : `${EVENT_TIME} >= make_timestamp(${Math.trunc(since)}::BIGINT * 1000) AND ${notAfter}`;
  const rows = await engine.all(
    `SELECT ${keys.join(', ')}, epoch_ms(${EVENT_TIME}) AS __ms, ${features.join(', ')} FROM ${prepared.relation} ` +
      `WHERE ${where} ` +
      `QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ` +
      `ORDER BY ${EVENT_TIME} DESC, ${CREATED_TIME} DESC NULLS LAST, ${SOURCE_ROW} DESC) = 1`,
  );
  const batchSize = options.batchSize ?? 1000;
  let written = 0;
  let highest: number | null = null;
  for (let start = 0; start < rows.length; start += batchSize) {
    const records = rows.slice(start, start + batchSize).map((row) => toRecord(row, prepared));
    for (const record of records) highest = highest === null ? record.eventTime : Math.max(highest, record.eventTime);
    written += await store.write(view.name, records);
  }
  if (highest !== null) await store.advanceWatermark(view.name, highest);
  const [future] = await engine.all(
    `SELECT count(*) AS n FROM ${prepared.relation} WHERE ${EVENT_TIME} > make_timestamp(${asOf}::BIGINT * 1000)`,
  );
  const after = await store.getView(view.name);
  const result: MaterializeResult = {
    view: view.name,
    since,
    entities: rows.length,
    written,
    watermark: after?.watermark ?? null,
    asOf,
    heldBack: Number(future?.n ?? 0),
  };
  await options.audit?.append({
    action: 'feature_view.materialize',
    target: { type: 'feature_view', id: view.name },
    beforeDigest: digestOf(state === undefined ? null : { view: view.name, watermark: state.watermark ?? null }),
    afterDigest: digestOf({ view: view.name, watermark: result.watermark }),
    details: {
      since: result.since,
      entities: result.entities,
      written: result.written,
      watermark: result.watermark,
      as_of: result.asOf,
      held_back: result.heldBack,
      store: store.description,
    },
  });
  return result;
}

function toRecord(row: Row, prepared: PreparedView): OnlineRecord {
  const values: Record<string, OnlineValue> = {};
  for (const feature of prepared.view.features) values[feature.name] = row[feature.name] ?? null;
  return {
    key: encodeEntityKey(prepared.view.entities.map((key) => row[key])),
    eventTime: Number(row.__ms),
    values,
  };
}
