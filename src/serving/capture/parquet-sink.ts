import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataEngine, sqlString } from '../../data/index.js';
import type { CaptureSink, EncodedRequest } from './capture.js';
import type { CaptureStore } from './capture-store.js';

const HOUR_MS = 3_600_000;

/**
 * Captured rows as hourly Parquet partitions in the artifact store:
 * `captures/<deployment>/date=YYYY-MM-DD/hour=HH/part-<id>.parquet` (UTC), one part per hour per write.
 * DuckDB writes the Parquet (typed columns: time as a timestamp, inputs and outputs as JSON text).
 */
export class ParquetCaptureSink implements CaptureSink {
  readonly #store: CaptureStore;
  #engine: Promise<DataEngine> | undefined;

  constructor(store: CaptureStore) {
    this.#store = store;
  }

  async write(deployment: string, requests: readonly EncodedRequest[]): Promise<void> {
    const byHour = new Map<number, EncodedRequest[]>();
    for (const request of requests) {
      const hour = Math.floor(request.time / HOUR_MS) * HOUR_MS;
      const part = byHour.get(hour);
      if (part === undefined) byHour.set(hour, [request]);
      else part.push(request);
    }
    for (const [hour, part] of byHour) await this.#writePart(deployment, hour, part);
  }

  async close(): Promise<void> {
    (await this.#engine)?.close();
  }

  async #writePart(deployment: string, hour: number, requests: readonly EncodedRequest[]): Promise<void> {
    const engine = await (this.#engine ??= DataEngine.open({ threads: 1 }));
    const dir = await mkdtemp(join(tmpdir(), 'ciclo-capture-'));
    try {
      const jsonl = join(dir, 'rows.jsonl');
      const parquet = join(dir, 'part.parquet');
      await writeFile(jsonl, requests.map((request) => request.lines).join('\n'));
      await engine.run(
        `COPY (SELECT request_id, "row", epoch_ms(time) AS time, model, version, protocol, latency_ms, inputs, outputs
               FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited', columns = {
                 request_id: 'VARCHAR', "row": 'INTEGER', time: 'BIGINT', model: 'VARCHAR', version: 'INTEGER',
                 protocol: 'VARCHAR', latency_ms: 'DOUBLE', inputs: 'VARCHAR', outputs: 'VARCHAR'}))
         TO ${sqlString(parquet)} (FORMAT PARQUET)`,
      );
      const date = new Date(hour).toISOString();
      const partition = `date=${date.slice(0, 10)}/hour=${date.slice(11, 13)}`;
      const path = `captures/${deployment}/${partition}/part-${randomUUID()}.parquet`;
      const rows = requests.reduce((sum, request) => sum + request.rows, 0);
      const ids = requests.map((request) => request.requestId);
      await this.#store.addFile(deployment, path, hour, parquet, rows, ids);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
