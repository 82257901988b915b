import { concatFrames, sliceFrame, type Frame } from './frame.js';

export interface BatchingOptions {
  /** The most rows one call to the runtime scores (requests are never split: a larger one goes alone). */
  maxRows: number;
  /**
   * How long the first queued request waits for company when the runtime is idle, in milliseconds. 0 (the
   * default) adds no latency: a request is sent at once when the runtime is free, and requests that arrive
   * while it is busy are sent together when it frees up; the batch grows with the load, by itself.
   */
  maxWaitMs: number;
}

interface Pending {
  frame: Frame;
  resolve(frame: Frame): void;
  reject(error: unknown): void;
}

/**
 * Adaptive batching, as BentoML and Triton do it: one batch at a time goes to the runtime; the requests
 * that queue meanwhile go as the next batch, up to `maxRows`. At low load each request goes alone and
 * waits for nothing; under load, per-call costs (a session run, a worker round trip) are paid once per
 * batch instead of once per request. A batch that fails is retried request by request, so one
 * request the runtime chokes on fails alone.
 */
export class AdaptiveBatcher {
  readonly #predict: (frame: Frame) => Promise<Frame>;
  readonly #options: BatchingOptions;
  readonly #queue: Pending[] = [];
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  /** Called with each batch's size in requests and rows (metrics). */
  onBatch: ((requests: number, rows: number) => void) | undefined;

  constructor(predict: (frame: Frame) => Promise<Frame>, options: BatchingOptions) {
    this.#predict = predict;
    this.#options = options;
  }

  submit(frame: Frame): Promise<Frame> {
    return new Promise<Frame>((resolve, reject) => {
      this.#queue.push({ frame, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#busy || this.#timer !== undefined || this.#queue.length === 0) return;
    if (this.#options.maxWaitMs <= 0 || this.#queuedRows() >= this.#options.maxRows) {
      void this.#run();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, this.#options.maxWaitMs);
  }

  async #run(): Promise<void> {
    if (this.#busy) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#take();
    if (batch.length === 0) return;
    this.#busy = true;
    try {
      await this.#score(batch);
    } finally {
      this.#busy = false;
      this.#schedule();
    }
  }

  /** Requests from the head of the queue while their rows fit; always at least one. */
  #take(): Pending[] {
    let rows = 0;
    let count = 0;
    for (const pending of this.#queue) {
      if (count > 0 && rows + pending.frame.rows > this.#options.maxRows) break;
      rows += pending.frame.rows;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #score(batch: Pending[]): Promise<void> {
    const frames = batch.map((pending) => pending.frame);
    this.onBatch?.(
      batch.length,
      frames.reduce((sum, frame) => sum + frame.rows, 0),
    );
    let answer: Frame;
    try {
      answer = await this.#predict(concatFrames(frames));
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const pending of batch) await this.#score([pending]);
      return;
    }
    let start = 0;
    for (const pending of batch) {
      pending.resolve(sliceFrame(answer, start, start + pending.frame.rows));
      start += pending.frame.rows;
    }
  }

  #queuedRows(): number {
    return this.#queue.reduce((sum, pending) => sum + pending.frame.rows, 0);
  }
}
