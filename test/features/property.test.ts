import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellText, DataEngine } from '../../src/data/duckdb.js';
import { getHistorical } from '../../src/features/index.js';
import { makeTempDir } from '../support/temp.js';
import { pathView, prng, writeCsv } from './support.js';

const HOUR = 3_600_000;
const BASE = Date.UTC(2024, 0, 1);
const ITERATIONS = 150;

let engine: DataEngine;
const temp = makeTempDir('ciclo-features-prop-');

beforeAll(async () => {
  engine = await DataEngine.open({ threads: 2 });
});
afterAll(() => {
  engine.close();
  temp.remove();
});

interface FeatureRow {
  k1: number;
  k2: number;
  time: number;
  id: number;
}

/** The answer by brute force: the latest row at or before ts (ties: the later source row), then TTL. */
function expected(
  rows: FeatureRow[],
  k1: number,
  k2: number,
  ts: number,
  ttlMs: number | undefined,
): FeatureRow | null {
  let best: FeatureRow | null = null;
  for (const row of rows) {
    if (row.k1 !== k1 || row.k2 !== k2 || row.time > ts) continue;
    if (best === null || row.time >= best.time) best = row;
  }
  if (best && ttlMs !== undefined && best.time < ts - ttlMs) return null;
  return best;
}

describe('historical retrieval against a brute-force computation', () => {
  it(`agrees on ${ITERATIONS} random tables, and never returns a row newer than its entity row`, async () => {
    const random = prng(20240601);
    const int = (n: number) => Math.floor(random() * n);
    let compared = 0;
    let matched = 0;
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const keys = 1 + int(4);
      const features: FeatureRow[] = Array.from({ length: int(40) + 1 }, (_, id) => ({
        k1: int(keys),
        k2: int(2),
        // A small time range, so equal timestamps (between rows, and with entity rows) are common.
        time: BASE + int(48) * HOUR,
        id,
      }));
      const entities = Array.from({ length: int(30) + 1 }, () => ({
        k1: int(keys + 1),
        k2: int(2),
        ts: BASE + int(52) * HOUR,
      }));
      const ttlHours = random() < 0.5 ? undefined : 1 + int(24);
      const featureFile = writeCsv(
        temp.dir,
        `f${iteration}.csv`,
        ['k1', 'k2', 'event_time', 'row_id'],
        features.map((f) => [f.k1, f.k2, new Date(f.time).toISOString(), f.id]),
      );
      const entityFile = writeCsv(
        temp.dir,
        `e${iteration}.csv`,
        ['k1', 'k2', 'event_timestamp'],
        entities.map((e) => [e.k1, e.k2, new Date(e.ts).toISOString()]),
      );
      const view = await pathView(engine, featureFile, {
        name: 'random',
        entities: ['k1', 'k2'],
        features: ['row_id'],
        ...(ttlHours === undefined ? {} : { ttl: `${ttlHours}h` }),
      });
      const rows = await getHistorical(engine, {
        entities: { file: entityFile },
        views: [view],
        includeEventTimes: true,
      });
      expect(rows).toHaveLength(entities.length);
      rows.forEach((row, index) => {
        const entity = entities[index]!;
        expect([row.k1, row.k2]).toEqual([entity.k1, entity.k2]);
        const eventTime = row.random__event_time;
        if (eventTime !== null) expect(Date.parse(cellText(eventTime))).toBeLessThanOrEqual(entity.ts);
        const want = expected(
          features,
          entity.k1,
          entity.k2,
          entity.ts,
          ttlHours === undefined ? undefined : ttlHours * HOUR,
        );
        expect({ iteration, index, row_id: row.row_id }).toEqual({ iteration, index, row_id: want?.id ?? null });
        compared++;
        if (want) matched++;
      });
    }
    // The generator must exercise both outcomes, or the test proves little.
    expect(matched).toBeGreaterThan(compared / 5);
    expect(compared - matched).toBeGreaterThan(compared / 10);
  });
});
