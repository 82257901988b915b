import { frameToRecords, type Cell, type Frame } from '../frame.js';
import type { ServingMetrics } from '../metrics.js';

/** One scored request as the capture sees it: the frame as sent (extra columns included) and the answer. */
export interface CapturedRequest {
  requestId: string;
  /** When it was answered (ms). */
  time: number;
  model: string;
  version: number;
  protocol: string;
  latencyMs: number;
  inputs: Frame;
  outputs: Frame;
}

/** One row of a captured request, as the Parquet files hold it; inputs and outputs are JSON objects by column. */
export interface CapturedRow {
  request_id: string;
  row: number;
  time: number;
  model: string;
  version: number;
  protocol: string;
  latency_ms: number;
  inputs: string;
  outputs: string;
}

/** One captured request's rows, encoded: `lines` holds one JSON `CapturedRow` per row, newline-separated. */
export interface EncodedRequest {
  requestId: string;
  /** When it was answered (ms): the sink partitions by it. */
  time: number;
  rows: number;
  lines: string;
}

/** Where captured rows go: the capture sink seam (Parquet files in the artifact store; a stream later). */
export interface CaptureSink {
  write(deployment: string, requests: readonly EncodedRequest[]): Promise<void>;
}

export interface CaptureOptions {
  sink: CaptureSink;
  /** The deployment the rows are filed under (a model's name for `ciclo serve`). */
  deployment: string;
  /** Share of requests captured, 0 to 1. */
  sampleRate: number;
  /** Input columns written as MASKED: the dataset and registry tags say they are sensitive. */
  sensitive: ReadonlySet<string>;
  /** Requests held for the sink at most; past it a request is dropped and counted, never waited for. */
  maxQueued?: number;
  /** How often the queue is written, in milliseconds. */
  flushMs?: number;
  metrics?: ServingMetrics;
  random?: () => number;
  onError?: (error: unknown) => void;
}

export const MASKED = '***';

/** Request ids a capture remembers: a few minutes of heavy traffic, a few MB. */
const RECENT_IDS = 50_000;

/** The last `capacity` ids added, oldest forgotten first. */
class RecentIds {
  readonly #ids = new Set<string>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  add(id: string): void {
    this.#ids.add(id);
    // A Set iterates in insertion order: its first item is the oldest.
    if (this.#ids.size > this.#capacity) this.#ids.delete(this.#ids.values().next().value!);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }
}

/**
 * Sampled request/response capture that never slows a request down: `offer` only samples and queues
 * (a full queue drops the request and counts it in `ciclo_serving_capture_dropped_total`); masking and
 * JSON happen right after the request's turn of the event loop, the sink's writes on a timer, or as
 * soon as half the queue is filled when no write is under way (heavy traffic writes more often
 * instead of dropping; a slow sink still drops rather than queueing without bound).
 *
 * Why encode so soon: a request's frames are a dozen small objects; held for the 5 s between writes
 * they outlive young-generation collections and are copied into the old generation. A JSON line is
 * one flat string. Measured in process on 1-row churn requests (2 cores, 20,000 requests a round):
 * capture's CPU per request fell from ~16 µs to ~12 µs, DuckDB's Parquet write included.
 */
export class RequestCapture {
  readonly #options: CaptureOptions;
  #pending: CapturedRequest[] = [];
  #encoded: EncodedRequest[] = [];
  #encoding: NodeJS.Immediate | undefined;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #writesUnderWay = 0;
  readonly #recent = new RecentIds(RECENT_IDS);

  constructor(options: CaptureOptions) {
    this.#options = options;
    this.#timer = setInterval(() => void this.flush(), options.flushMs ?? 5000);
    this.#timer.unref();
  }

  /** Requests dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  offer(request: CapturedRequest): void {
    if (this.#options.sampleRate <= 0 || (this.#options.random ?? Math.random)() >= this.#options.sampleRate) return;
    if (this.#pending.length + this.#encoded.length >= (this.#options.maxQueued ?? 10_000)) {
      this.#dropped++;
      this.#options.metrics?.captureDrops.inc({ deployment: this.#options.deployment });
      return;
    }
    this.#pending.push(request);
    this.#recent.add(request.requestId);
    this.#encoding ??= setImmediate(() => this.#encodeAndMaybeWrite());
  }

  /**
   * Whether this process captured the request lately (the last RECENT_IDS it kept): feedback may name a request
   * whose file is not written yet, a few seconds after it was answered.
   */
  captured(requestId: string): boolean {
    return this.#recent.has(requestId);
  }

  /** Writes what is queued; one write at a time, in order. */
  flush(): Promise<void> {
    this.#encodePending();
    const taken = this.#encoded;
    this.#encoded = [];
    if (taken.length === 0) return this.#writing;
    this.#writesUnderWay++;
    this.#writing = this.#writing
      .then(() => this.#options.sink.write(this.#options.deployment, taken))
      .catch((error: unknown) => this.#options.onError?.(error))
      .finally(() => this.#writesUnderWay--);
    return this.#writing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  #encodePending(): void {
    clearImmediate(this.#encoding);
    this.#encoding = undefined;
    for (const request of this.#pending) {
      // A request of no rows has nothing to capture (and an empty line would break the JSON lines).
      if (request.inputs.rows > 0) this.#encoded.push(encode(request, this.#options.sensitive));
    }
    this.#pending = [];
  }

  #encodeAndMaybeWrite(): void {
    this.#encodePending();
    if (this.#writesUnderWay === 0 && this.#encoded.length >= (this.#options.maxQueued ?? 10_000) / 2) {
      void this.flush();
    }
  }
}

function encode(request: CapturedRequest, sensitive: ReadonlySet<string>): EncodedRequest {
  const inputs = frameToRecords(request.inputs);
  const outputs = frameToRecords(request.outputs);
  const lines = inputs.map((record, row) => {
    const captured: CapturedRow = {
      request_id: request.requestId,
      row,
      time: request.time,
      model: request.model,
      version: request.version,
      protocol: request.protocol,
      latency_ms: request.latencyMs,
      inputs: JSON.stringify(masked(record, sensitive)),
      outputs: JSON.stringify(outputs[row] ?? {}),
    };
    return JSON.stringify(captured);
  });
  return { requestId: request.requestId, time: request.time, rows: lines.length, lines: lines.join('\n') };
}

function masked(record: Record<string, Cell>, sensitive: ReadonlySet<string>): Record<string, Cell> {
  if (sensitive.size === 0) return record;
  const out: Record<string, Cell> = {};
  for (const [column, value] of Object.entries(record))
    out[column] = sensitive.has(column) && value !== null ? MASKED : value;
  return out;
}
