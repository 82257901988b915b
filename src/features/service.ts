import { DataEngine, type DatasetResolver, type Row } from '../data/index.js';
import type { AuditLog } from '../governance/index.js';
import { getHistorical, writeHistorical, type HistoricalRequest } from './historical.js';
import { lookupOnline, projectOfOnlineView, type OnlineLookupResponse } from './lookup.js';
import { materialize, type MaterializeResult } from './materialize.js';
import type { OnlineStore } from './online/index.js';
import { loadFeatureViewFile, prepareView, type PreparedView } from './view.js';
import { resolveViewFile, type ViewFiles } from './view-files.js';

export interface FeatureServiceOptions {
  /**
   * The online store. A function is called on the first operation that needs the store (a server
   * that serves no features never creates `online.db`), and close() closes what it opened; a store
   * given as is stays its owner's to close.
   */
  onlineStore: OnlineStore | (() => OnlineStore);
  /**
   * Resolves `dataset:` sources and `{{ dataset:… }}` placeholders (the DatasetService); without it such views are
   * refused.
   */
  datasets?: DatasetResolver;
  /** Each materialization is appended here. */
  audit?: AuditLog;
  /** The DuckDB engine one operation runs on, closed after it; an in-memory engine by default. */
  openEngine?: () => Promise<DataEngine>;
}

/** Point-in-time training data for views named as files or by name; see HistoricalRequest for the rest. */
export type HistoricalViewsRequest = ViewFiles & Omit<HistoricalRequest, 'views'>;

export interface MaterializedView extends MaterializeResult {
  /** The online store written to, as it describes itself (no credentials). */
  store: string;
}

export interface LookupOptions {
  /** The project access control judged for the view (the server's); a view in another project is not read. */
  judgedProject?: string;
  /** The time TTL is judged at when the request names none; now by default. */
  now?: number;
}

/**
 * The feature store's operations: check view files against their sources, point-in-time training
 * data, materialization into the online store and online lookup. Every operation that reads data
 * runs on a DuckDB engine of its own, closed when it ends.
 */
export class FeatureService {
  readonly #datasets: DatasetResolver | undefined;
  readonly #audit: AuditLog | undefined;
  readonly #openEngine: () => Promise<DataEngine>;
  readonly #openStore: () => OnlineStore;
  readonly #ownsStore: boolean;
  #store: OnlineStore | undefined;

  constructor(options: FeatureServiceOptions) {
    this.#datasets = options.datasets;
    this.#audit = options.audit;
    this.#openEngine = options.openEngine ?? (() => DataEngine.open());
    const { onlineStore } = options;
    this.#ownsStore = typeof onlineStore === 'function';
    this.#openStore = typeof onlineStore === 'function' ? onlineStore : () => onlineStore;
  }

  /** Each view checked against its source (columns, types, TTL) without reading the data. */
  validate(files: ViewFiles): Promise<PreparedView[]> {
    return this.#withEngine((engine) => this.#prepare(engine, files));
  }

  /** For each entity row, each view's latest features at or before its timestamp (within TTL). */
  getHistorical(request: HistoricalViewsRequest): Promise<Row[]> {
    return this.#withEngine(async (engine) => getHistorical(engine, await this.#historicalRequest(engine, request)));
  }

  /** The same rows written to a Parquet or CSV file (by extension); returns how many. */
  writeHistorical(request: HistoricalViewsRequest, out: string): Promise<number> {
    return this.#withEngine(async (engine) =>
      writeHistorical(engine, await this.#historicalRequest(engine, request), out),
    );
  }

  /**
   * Each view's latest row per entity into the online store, from its watermark (or `since`, epoch
   * ms) on; every view is checked before any is written.
   */
  materialize(files: ViewFiles, options: { since?: number } = {}): Promise<MaterializedView[]> {
    return this.#withEngine(async (engine) => {
      const prepared = await this.#prepare(engine, files);
      const store = this.#onlineStore();
      const results: MaterializedView[] = [];
      for (const view of prepared) {
        const result = await materialize(engine, view, store, {
          ...(this.#audit === undefined ? {} : { audit: this.#audit }),
          ...(options.since === undefined ? {} : { since: options.since }),
        });
        results.push({ ...result, store: store.description });
      }
      return results;
    });
  }

  /** Each entity's latest materialized features (`input` is validated: an OnlineLookupRequest). */
  lookupOnline(input: unknown, options: LookupOptions = {}): Promise<OnlineLookupResponse> {
    return lookupOnline(this.#onlineStore(), input, options.now ?? Date.now(), options.judgedProject);
  }

  /** The project a materialized view was recorded in; undefined when it was never materialized. */
  projectOfOnlineView(name: string): Promise<string | undefined> {
    return projectOfOnlineView(this.#onlineStore(), name);
  }

  /** Closes the online store if this service opened it. */
  async close(): Promise<void> {
    const opened = this.#store;
    this.#store = undefined;
    if (this.#ownsStore) await opened?.close();
  }

  #onlineStore(): OnlineStore {
    return (this.#store ??= this.#openStore());
  }

  async #withEngine<T>(fn: (engine: DataEngine) => Promise<T>): Promise<T> {
    const engine = await this.#openEngine();
    try {
      return await fn(engine);
    } finally {
      engine.close();
    }
  }

  async #prepare(engine: DataEngine, files: ViewFiles): Promise<PreparedView[]> {
    const prepared: PreparedView[] = [];
    for (const ref of files.views) {
      const view = await loadFeatureViewFile(resolveViewFile(ref, files.viewsDir));
      prepared.push(await prepareView(engine, view, this.#datasets === undefined ? {} : { resolver: this.#datasets }));
    }
    return prepared;
  }

  async #historicalRequest(engine: DataEngine, request: HistoricalViewsRequest): Promise<HistoricalRequest> {
    const { views, viewsDir, ...rest } = request;
    return { ...rest, views: await this.#prepare(engine, { views, ...(viewsDir === undefined ? {} : { viewsDir }) }) };
  }
}
