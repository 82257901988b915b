import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Monitoring and alerts (src/monitoring).
 *
 * `captured_requests`: the request ids in a deployment's capture files, written with each file, so feedback for a
 * request that was never captured (a typo, or one the sampling left out) is refused by an indexed lookup instead
 * of being stored where no monitor can ever join it.
 *
 * `model_baselines`: what a registered version is compared with in production, stored when it is
 * registered: its training dataset versions (found through lineage, or named by hand) with their
 * profiles, and its predictions on the evaluation set as a Parquet blob.
 *
 * `monitors`: monitor definitions applied from YAML, each watching one deployment (in its project).
 * `monitor_results` is one row per monitor run over one window, `monitor_metrics` its values as a time
 * series (metric, feature, segment), which `ciclo monitor show` and the Prometheus gauges read.
 *
 * `alert_states` is each rule's current state (OK, FIRING) with its run of consecutive breaching
 * windows; `alert_events` the history of transitions and acknowledgements; `alert_actions` every
 * attempt of an action (webhook, NATS, Redis, rollback) with its outcome, retried with backoff.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const clustered = dialect === 'sqlite' ? sql`without rowid` : sql``;
  const serial = dialect === 'sqlite' ? 'integer' : 'bigserial';

  await db.schema
    .createTable('captured_requests')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    // Start of the hour of the file that holds it (ms), so old ids can be dropped with their files.
    .addColumn('hour', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('captured_requests_pk', ['deployment', 'request_id'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('model_baselines')
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // `lineage` (found from the version's run) or `explicit` (named by hand).
    .addColumn('source', 'text', (c) => c.notNull())
    // JSON: the dataset versions, their roles (training, evaluation) and profiles.
    .addColumn('datasets', 'text', (c) => c.notNull())
    // JSON: the prediction distribution on the evaluation set (summary); the rows are in the blob.
    .addColumn('predictions', 'text')
    .addColumn('predictions_digest', 'text')
    // Why the predictions are missing (the model failed to load or score); null when they are there.
    .addColumn('predictions_error', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_baselines_pk', ['model_name', 'version'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('monitors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    // The validated definition as JSON, and the YAML it came from.
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_time', 'bigint', (c) => c.notNull())
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('monitor_results')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('window_end', 'bigint', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    // `ok`, `no_data` (an empty window: never an alert) or `failed` (message says why).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    // JSON: what the window was (deployment, versions seen, capture files read).
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('monitor_results_time').on('monitor_results').columns(['monitor', 'time']).execute();

  await db.schema
    .createTable('monitor_metrics')
    .addColumn('result_id', 'bigint', (c) => c.notNull())
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    // '' when the metric is not per feature or per segment: part of the key, so never null.
    .addColumn('feature', 'text', (c) => c.notNull())
    .addColumn('segment', 'text', (c) => c.notNull())
    // Null with `reason` when the metric cannot be computed (one class only, no feedback).
    .addColumn('value', 'double precision')
    .addColumn('reason', 'text')
    .addPrimaryKeyConstraint('monitor_metrics_pk', ['result_id', 'metric', 'feature', 'segment'])
    .modifyEnd(clustered)
    .execute();
  // A series (one metric of one feature over time) is read by this index, newest last.
  await db.schema
    .createIndex('monitor_metrics_series')
    .on('monitor_metrics')
    .columns(['monitor', 'metric', 'feature', 'segment', 'time'])
    .execute();

  await db.schema
    .createTable('alert_states')
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    // `OK` or `FIRING`; RESOLVED is an event, after which the state is OK again.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    // Windows in a row that breached the threshold (reset by one that did not; no-data windows leave it).
    .addColumn('consecutive', 'integer', (c) => c.notNull())
    .addColumn('since', 'bigint', (c) => c.notNull())
    .addColumn('last_fired', 'bigint')
    .addColumn('last_value', 'double precision')
    .addColumn('acked_by', 'text')
    .addColumn('acked_time', 'bigint')
    .addPrimaryKeyConstraint('alert_states_pk', ['monitor', 'rule'])
    .modifyEnd(clustered)
    .execute();

  await db.schema
    .createTable('alert_events')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('monitor', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    // `FIRING`, `RESOLVED` or `ACKED`.
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('result_id', 'bigint')
    .addColumn('value', 'double precision')
    // JSON: the alert as actions and the `alert` trigger see it.
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_events_rule').on('alert_events').columns(['monitor', 'rule', 'id']).execute();

  await db.schema
    .createTable('alert_actions')
    .addColumn('id', serial, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('event_id', 'bigint', (c) => c.notNull())
    // Index of the action in the rule's list, and its type (webhook, nats, redis, rollback).
    .addColumn('action_index', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // JSON: the action as the rule declared it when the event happened (a later edit of the rule changes no
    // action already queued).
    .addColumn('action', 'text', (c) => c.notNull())
    // `PENDING` (due at next_time), `DONE` or `FAILED` (attempts used up).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_time', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('updated_time', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_actions_due').on('alert_actions').columns(['status', 'next_time']).execute();
}
