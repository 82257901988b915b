import { loadConfig, type CicloConfig } from '../common/config.js';
import {
  FeatureService,
  openOnlineStore,
  type OnlineLookupRequest,
  type OnlineLookupResponse,
  type OnlineStore,
} from '../features/index.js';
import { errorFromResponse, unreachable } from './remote-errors.js';

export interface FeatureClientOptions {
  /** A Ciclo server; when neither this nor CICLO_TRACKING_URI is set, the online store is opened in-process. */
  trackingUri?: string;
  /** Used instead of the environment; its `trackingUri`, when set, selects remote mode too. */
  config?: CicloConfig;
  /** An online store to read directly (embedded mode without a config). */
  store?: OnlineStore;
  /** The API token for a server with authentication on; default CICLO_TOKEN. */
  token?: string;
}

/**
 * Online feature lookup from the SDK, the same call embedded (the online store opened in this
 * process: CICLO_ONLINE_STORE, or `<CICLO_HOME>/online.db`) and remote (`POST /api/v1/features/online`).
 *
 * ```ts
 * const features = FeatureClient.connect();
 * const { results } = await features.getOnline({ view: 'customer_stats', entities: [{ customer_id: 7 }] });
 * ```
 */
export class FeatureClient {
  readonly #lookup: (request: OnlineLookupRequest) => Promise<OnlineLookupResponse>;
  readonly #release: () => Promise<void>;

  private constructor(
    lookup: (request: OnlineLookupRequest) => Promise<OnlineLookupResponse>,
    release: () => Promise<void>,
  ) {
    this.#lookup = lookup;
    this.#release = release;
  }

  static connect(options: FeatureClientOptions = {}): FeatureClient {
    if (options.store) return FeatureClient.#embedded(new FeatureService({ onlineStore: options.store }));
    const config = options.trackingUri ? undefined : (options.config ?? loadConfig());
    const trackingUri = options.trackingUri ?? config?.trackingUri;
    if (trackingUri) {
      const base = trackingUri.replace(/\/+$/, '');
      const token = options.token ?? (config ?? loadConfig()).token;
      const authorization: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      return new FeatureClient(
        async (request) => {
          const response = await fetch(`${base}/api/v1/features/online`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...authorization },
            body: JSON.stringify(request),
          }).catch((error: unknown) => {
            throw unreachable(base, error);
          });
          if (!response.ok) throw await errorFromResponse(response, 'online feature lookup');
          return (await response.json()) as OnlineLookupResponse;
        },
        async () => undefined,
      );
    }
    return FeatureClient.#embedded(new FeatureService({ onlineStore: () => openOnlineStore(config!) }));
  }

  static #embedded(features: FeatureService): FeatureClient {
    return new FeatureClient(
      (request) => features.lookupOnline(request),
      () => features.close(),
    );
  }

  /** Each entity's latest materialized feature values and event time; missing → null values. */
  getOnline(request: OnlineLookupRequest): Promise<OnlineLookupResponse> {
    return this.#lookup(request);
  }

  async close(): Promise<void> {
    await this.#release();
  }
}
