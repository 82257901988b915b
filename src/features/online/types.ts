/**
 * The online store: each entity's latest feature values per view, for low-latency lookup. Written
 * by materialization, read by `POST /api/v1/features/online` and the SDK's `FeatureClient`.
 *
 * Entity keys are stored as `encodeEntityKey(values)`: the key values as strings, in the order of the
 * view's `entities`, so `1` and `"1"` find the same entity.
 */

export type OnlineValue = string | number | boolean | null | OnlineValue[] | { [key: string]: OnlineValue };

export interface OnlineRecord {
  /** `encodeEntityKey` of the entity's key values. */
  key: string;
  /** Feature name → value. */
  values: Record<string, OnlineValue>;
  /** Event time of the row the values came from, epoch milliseconds. */
  eventTime: number;
}

/** What materialization records about a view, so lookups need only the online store. */
export interface OnlineViewMeta {
  name: string;
  /** The view's project, where online lookups are judged; absent (materialized before views had one): `default`. */
  project?: string;
  entities: string[];
  features: string[];
  /** Absent: features never expire. */
  ttlMs?: number;
}

export interface OnlineViewState extends OnlineViewMeta {
  /** The greatest event time materialized so far (epoch ms); the next run reads from here. */
  watermark: number | null;
  /** When the view was last materialized, epoch ms. */
  updatedTime: number;
}

export interface OnlineStore {
  /** Where it is, for messages (no password). */
  readonly description: string;
  /**
   * Upserts each record unless the stored one has a newer event time (a newer event time is never
   * overwritten by an older one; an equal one is replaced). Returns how many records were written.
   */
  write(view: string, records: readonly OnlineRecord[]): Promise<number>;
  /** One answer per key, in order; null for an entity the store has nothing for. */
  read(view: string, keys: readonly string[]): Promise<(OnlineRecord | null)[]>;
  /** Records the view's definition. */
  putView(meta: OnlineViewMeta): Promise<void>;
  getView(view: string): Promise<OnlineViewState | undefined>;
  /** Moves the view's watermark forward to `eventTime` (never back). */
  advanceWatermark(view: string, eventTime: number): Promise<void>;
  close(): Promise<void>;
}

/** The store's form of an entity key: a JSON array of the key values as strings. */
export function encodeEntityKey(values: readonly unknown[]): string {
  return JSON.stringify(
    values.map((value) =>
      value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value),
    ),
  );
}
