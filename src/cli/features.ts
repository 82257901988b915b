import type { Command } from 'commander';
import { openViewFileFeatures } from '../app/context.js';
import { loadConfig } from '../common/config.js';
import { InvalidInputError } from '../common/errors.js';
import type { Cell } from '../data/index.js';
import { DEFAULT_VIEWS_DIR, type FeatureService } from '../features/index.js';
import { FeatureClient } from '../sdk/index.js';
import { collectValues } from './option-parsers.js';
import { renderFields, renderTable } from './format.js';
import { emit } from './output.js';
import { withLocalContext } from './local-context.js';

interface ViewsOption {
  viewsDir: string;
}

/**
 * `ciclo features …`: validate views, build point-in-time training data, materialize to the online
 * store, look features up online; each command one FeatureService call.
 *
 * `validate` and `get-historical` open the local metadata store only when a view names a dataset
 * (path-only views never create a store); `materialize` records its audit entry there.
 */
export function registerFeatureCommands(program: Command): void {
  const features = program
    .command('features')
    .description('the feature store: feature views, point-in-time training data, online lookup');

  features
    .command('validate')
    .description('checks feature view files against their sources (columns, types, TTL) without reading the data')
    .argument('<view...>', 'view file (.yaml) or name of a view in --views-dir')
    .option('--views-dir <dir>', 'folder of view files, for views given by name', DEFAULT_VIEWS_DIR)
    .action(async (views: string[], options: ViewsOption, command: Command) => {
      const prepared = await withViewFileFeatures((service) => service.validate({ views, viewsDir: options.viewsDir }));
      const summary = prepared.map(({ view, datasets }) => ({
        name: view.name,
        entities: view.entities,
        event_time: view.eventTime,
        features: view.features.map((feature) => feature.name),
        ttl: view.ttl ?? null,
        datasets: datasets.map((d) => `${d.name}@${d.version}`),
      }));
      emit(command, summary, () =>
        summary
          .map((v) => `ok  ${v.name}: ${v.features.length} feature(s) keyed by ${v.entities.join(', ')}`)
          .join('\n'),
      );
    });

  features
    .command('get-historical')
    .description("for each entity row, each view's latest features at or before its timestamp (within TTL)")
    .requiredOption('--entities <file>', 'CSV, Parquet or JSON Lines file of entity keys and a timestamp column')
    .requiredOption('--view <views>', 'view file(s) or name(s), comma-separated (repeatable)', collectValues, [])
    .option('--features <list>', 'features to return, comma-separated: name or view:name (default: all)')
    .option('--timestamp-column <name>', "the entity rows' timestamp column", 'event_timestamp')
    .option('--with-event-times', "also return each view's matched event time as <view>__event_time")
    .option('--out <file>', 'write the rows to a .parquet or .csv file instead of printing them')
    .option('--views-dir <dir>', 'folder of view files, for views given by name', DEFAULT_VIEWS_DIR)
    .action(async (options: HistoricalOptions, command: Command) => {
      const request = {
        entities: { file: options.entities },
        views: options.view.flatMap(splitList),
        viewsDir: options.viewsDir,
        timestampColumn: options.timestampColumn,
        ...(options.features === undefined ? {} : { features: splitList(options.features) }),
        includeEventTimes: options.withEventTimes === true,
      };
      const out = options.out;
      if (out !== undefined) {
        const rows = await withViewFileFeatures((service) => service.writeHistorical(request, out));
        emit(command, { out, rows }, () => `wrote ${rows} row(s) to ${out}`);
        return;
      }
      const rows = await withViewFileFeatures((service) => service.getHistorical(request));
      const headers = rows[0] ? Object.keys(rows[0]) : [];
      emit(command, rows, () =>
        rows.length === 0
          ? '(no entity rows)'
          : renderTable(
              headers,
              rows.map((row) => headers.map((h) => formatCell(row[h] ?? null))),
            ),
      );
    });

  features
    .command('materialize')
    .description("writes each entity's latest features to the online store, from the view's last event time on")
    .argument('<view...>', 'view file (.yaml) or name of a view in --views-dir')
    .option('--since <time>', 'read from this event time (ISO-8601 or epoch ms) instead of the last one materialized')
    .option('--views-dir <dir>', 'folder of view files, for views given by name', DEFAULT_VIEWS_DIR)
    .action(async (views: string[], options: ViewsOption & { since?: string }, command: Command) => {
      const since = options.since === undefined ? undefined : parseTime(options.since, '--since');
      const results = await withLocalContext((context) =>
        context.features.materialize({ views, viewsDir: options.viewsDir }, since === undefined ? {} : { since }),
      );
      const shown = results.map((r) => ({
        ...r,
        since: isoOrNull(r.since),
        watermark: isoOrNull(r.watermark),
        asOf: isoOrNull(r.asOf),
      }));
      emit(command, shown, () =>
        shown
          .map((r) =>
            renderFields([
              ['view', r.view],
              ['from', r.since ?? '(the beginning)'],
              ['entities read', String(r.entities)],
              ['written', String(r.written)],
              ['watermark', r.watermark ?? '-'],
              ['held back', `${r.heldBack} rows dated after ${r.asOf ?? '-'}`],
              ['online store', r.store],
            ]),
          )
          .join('\n\n'),
      );
    });

  features
    .command('get-online')
    .description("each entity's latest materialized features (from the server when CICLO_TRACKING_URI is set)")
    .argument('<view>', "the view's name")
    .requiredOption('--entity <key=value[,key=value]>', "an entity's key(s) (repeatable)", collectValues, [])
    .option('--features <list>', 'features to return, comma-separated (default: all)')
    .option('--at <time>', 'judge the TTL at this time (ISO-8601 or epoch ms) instead of now')
    .action(async (view: string, options: { entity: string[]; features?: string; at?: string }, command: Command) => {
      const entities = options.entity.map(parseEntity);
      const client = FeatureClient.connect();
      try {
        const answer = await client.getOnline({
          view,
          entities,
          ...(options.features === undefined ? {} : { features: splitList(options.features) }),
          ...(options.at === undefined ? {} : { at: parseTime(options.at, '--at') }),
        });
        emit(command, answer, () =>
          renderTable(
            ['entity', 'status', 'event_time', ...answer.features],
            answer.results.map((r) => [
              Object.entries(r.entity)
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
              r.status,
              r.event_time ?? '-',
              ...answer.features.map((f) => formatCell(r.values[f] ?? null)),
            ]),
          ),
        );
      } finally {
        await client.close();
      }
    });
}

interface HistoricalOptions {
  entities: string;
  view: string[];
  features?: string;
  timestampColumn: string;
  withEventTimes?: boolean;
  out?: string;
  viewsDir: string;
}

/** One call on the feature service for view files; the store it may have opened is closed afterwards. */
async function withViewFileFeatures<T>(fn: (features: FeatureService) => Promise<T>): Promise<T> {
  const session = openViewFileFeatures(loadConfig());
  try {
    return await fn(session.features);
  } finally {
    await session.close();
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function parseTime(value: string, where: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InvalidInputError(`"${value}" is not a time`, {
      where,
      hint: 'give an ISO-8601 time (2024-05-01T00:00:00Z) or epoch milliseconds',
    });
  return ms;
}

function parseEntity(text: string): Record<string, string | number> {
  const entity: Record<string, string | number> = {};
  for (const pair of splitList(text)) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new InvalidInputError(`--entity "${text}" is not key=value`, {
        where: '--entity',
        hint: 'e.g. --entity customer_id=7',
      });
    entity[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return entity;
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function formatCell(value: Cell): string {
  if (value === null) return '-';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
