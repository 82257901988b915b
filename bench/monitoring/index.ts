import { benchMonitoringDrift } from './drift.js';
import { benchMonitoringQuality } from './model-quality.js';

/** bench/monitoring: drift (1M × 20 mixed, 1M × 1,000 numeric) and model quality over 1M joined rows. */
export async function benchMonitoring(): Promise<string[]> {
  return [...(await benchMonitoringQuality()), ...(await benchMonitoringDrift())];
}
