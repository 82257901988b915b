import { Ciclo } from '../sdk/index.js';
import type { TrackingApi } from '../sdk/index.js';

/** Connects the way the SDK does (CICLO_TRACKING_URI → remote, else embedded) for one command. */
export async function withTracking<T>(fn: (api: TrackingApi) => Promise<T>): Promise<T> {
  const ciclo = await Ciclo.connect();
  try {
    return await fn(ciclo.api);
  } finally {
    await ciclo.close();
  }
}
