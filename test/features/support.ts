import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataEngine } from '../../src/data/duckdb.js';
import { defineFeatureView, prepareView, type PreparedView } from '../../src/features/index.js';
import { prng } from '../support/prng.js';

export { prng };

/** Writes a CSV file from a header and rows; returns its path. */
export function writeCsv(dir: string, name: string, header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const file = join(dir, name);
  const cell = (value: string | number | null) => (value === null ? '' : String(value));
  writeFileSync(file, [header.join(','), ...rows.map((row) => row.map(cell).join(','))].join('\n') + '\n');
  return file;
}

/** A view over a local file, checked against it. */
export async function pathView(
  engine: DataEngine,
  file: string,
  spec: { name: string; entities: string[]; features: string[]; ttl?: string; event_time?: string; created_time?: string },
): Promise<PreparedView> {
  const view = defineFeatureView({
    name: spec.name,
    entities: spec.entities,
    event_time: spec.event_time ?? 'event_time',
    ...(spec.created_time === undefined ? {} : { created_time: spec.created_time }),
    source: { path: file },
    features: spec.features,
    ...(spec.ttl === undefined ? {} : { ttl: spec.ttl }),
  });
  return prepareView(engine, view);
}


export const iso = (day: number, hour = 0) => new Date(Date.UTC(2024, 0, day, hour)).toISOString();
