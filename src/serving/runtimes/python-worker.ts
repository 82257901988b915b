import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import type { Cell } from '../frame.js';

/**
 * One Python worker process (`python/ciclo_model_worker.py`) and the frames it speaks on stdin/stdout:
 * a 4-byte big-endian length, then that many bytes of UTF-8 JSON. Length-prefixed rather than one JSON
 * document per line so a frame is read whole by its size, without scanning megabytes of cells for a newline.
 */

/** Far above any answer a request body the server accepts can produce: a larger length is a corrupt stream. */
const MAX_FRAME_BYTES = 1 << 30;
/** How much of the worker's stderr is kept for a load failure's message (where an import error or a crash says why). */
const STDERR_TAIL_CHARS = 4096;

export type WorkerRequest =
  | { op: 'load'; folder: string; flavor: string; entry?: string }
  | { op: 'predict'; columns: Record<string, readonly Cell[]>; rows: number };

const AnswerSchema = z.union([
  z.object({
    id: z.number(),
    ok: z.literal(true),
    // The worker writes cells from numpy's tolist(): numbers, strings, booleans, null and arrays of them.
    columns: z.record(z.string(), z.array(z.custom<Cell>())).optional(),
  }),
  z.object({ id: z.number(), ok: z.literal(false), error: z.object({ type: z.string(), message: z.string() }) }),
]);

export type WorkerAnswer = z.output<typeof AnswerSchema>;

export interface WorkerOptions {
  /** The interpreter to run the script with. */
  readonly python: string;
  readonly script: string;
  /** Each line the worker writes to stderr (warnings, tracebacks of failed requests). */
  readonly log: (line: string, pid: number | undefined) => void;
}

/** The worker ended before it answered: it crashed, was killed, or could not be started at all. */
export class WorkerExitedError extends Error {
  constructor(
    readonly why: string,
    readonly stderrTail: string,
  ) {
    super(`the python worker ${why}`);
    this.name = 'WorkerExitedError';
  }
}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Cuts a byte stream into the JSON messages of its frames, however the pipe splits them into chunks. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #size = 0;
  /** The body length of the frame being read, once its header is in. */
  #bodySize: number | undefined;

  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    const messages: unknown[] = [];
    for (;;) {
      if (this.#bodySize === undefined) {
        if (this.#size < 4) break;
        this.#bodySize = this.#take(4).readUInt32BE(0);
        if (this.#bodySize > MAX_FRAME_BYTES) throw new Error(`a frame of ${this.#bodySize} bytes is announced`);
      }
      if (this.#size < this.#bodySize) break;
      messages.push(JSON.parse(this.#take(this.#bodySize).toString('utf8')));
      this.#bodySize = undefined;
    }
    return messages;
  }

  /** The first `size` bytes; the chunks are joined once per frame, not once per chunk. */
  #take(size: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    const rest = all.subarray(size);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#size = rest.length;
    return all.subarray(0, size);
  }
}

interface Pending {
  readonly id: number;
  resolve(answer: WorkerAnswer): void;
  reject(error: Error): void;
}

export class PythonWorker {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #decoder = new FrameDecoder();
  readonly #log: WorkerOptions['log'];
  readonly #ended: Promise<void>;
  #pending: Pending | undefined;
  #nextId = 1;
  #stderrTail = '';
  #stderrLine = '';
  #exit: string | undefined;
  #startError: Error | undefined;

  constructor(options: WorkerOptions) {
    this.#log = options.log;
    // No shell: the interpreter path and the script are arguments, never parsed. -B: no .pyc written next to
    // the script or a model's code folder.
    this.#child = spawn(options.python, ['-B', options.script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout.on('data', (chunk: Buffer) => this.#onStdout(chunk));
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (text: string) => this.#onStderr(text));
    // Writing to a worker that just died fails with EPIPE; 'close' below is what reports the death.
    this.#child.stdin.on('error', () => undefined);
    this.#child.on('error', (error) => (this.#startError ??= error));
    this.#ended = new Promise((resolve) => {
      // 'close', not 'exit': every answer the worker wrote before it ended has been read by then.
      this.#child.on('close', (code, signal) => {
        this.#flushStderrLine();
        this.#exit = this.#describeExit(code, signal);
        this.#pending?.reject(new WorkerExitedError(this.#exit, this.#stderrTail));
        this.#pending = undefined;
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether the process has ended (its 'close' seen), even if `ended`'s callbacks have not run yet. */
  get hasEnded(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves once the process has ended and its pipes are closed. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** Sends one request and answers its answer; the caller sends the next only after (the model queues). */
  request(message: WorkerRequest): Promise<WorkerAnswer> {
    if (this.#exit !== undefined) return Promise.reject(new WorkerExitedError(this.#exit, this.#stderrTail));
    if (this.#pending !== undefined) return Promise.reject(new Error('a python worker answers one request at a time'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.#child.stdin.write(encodeFrame({ id, ...message }));
    });
  }

  /** Ends stdin, on which the worker exits; one that has not exited `graceMs` later is killed. */
  async close(graceMs: number): Promise<void> {
    this.#child.stdin.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#ended;
    clearTimeout(timer);
  }

  kill(): void {
    if (this.#exit === undefined) this.#child.kill('SIGKILL');
  }

  #onStdout(chunk: Buffer): void {
    let messages: unknown[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      return this.#protocolError(`sent a frame that cannot be read (${(error as Error).message})`);
    }
    for (const message of messages) {
      const parsed = AnswerSchema.safeParse(message);
      const pending = this.#pending;
      if (!parsed.success || pending === undefined || parsed.data.id !== pending.id) {
        return this.#protocolError('answered something that is not the answer to its request');
      }
      this.#pending = undefined;
      pending.resolve(parsed.data);
    }
  }

  /** A worker whose stream is out of step cannot be trusted with the next request: it is ended as a crash is. */
  #protocolError(what: string): void {
    this.#log(`protocol error: the worker ${what}; killing it`, this.pid);
    this.kill();
  }

  #onStderr(text: string): void {
    this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_CHARS);
    const lines = (this.#stderrLine + text).split('\n');
    this.#stderrLine = lines.pop()!;
    for (const line of lines) this.#log(line, this.pid);
  }

  #flushStderrLine(): void {
    if (this.#stderrLine !== '') this.#log(this.#stderrLine, this.pid);
    this.#stderrLine = '';
  }

  #describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    if (this.#startError !== undefined) return `could not be started (${this.#startError.message})`;
    if (signal !== null) return `was killed by ${signal}`;
    return `exited with code ${code ?? 'unknown'}`;
  }
}
