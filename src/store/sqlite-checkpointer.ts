import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Slots of the state shared with the thread. */
const WAKE = 0;
const STOP = 1;
const CLOSED = 2;

/** SQLite's own default: a checkpoint once this many WAL frames are not yet in the database file. */
const CHECKPOINT_FRAMES = 1000;
/** How long closing waits for the thread to close its connection (it is idle, or in one checkpoint). */
const CLOSE_WAIT_MS = 10_000;

/**
 * The WAL-index header at the start of the `-shm` file (sqlite.org/walformat.html): `mxFrame`, the last valid
 * frame, at byte 16 of the header; `nBackfill`, how many of them are in the database file, at byte 96 (the
 * checkpoint info after the header's two copies). Integers in the machine's byte order.
 */
const MX_FRAME_OFFSET = 16;
const N_BACKFILL_OFFSET = 96;
const HEADER_BYTES = 100;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * The thread's code: plain CommonJS run with `eval`, so it needs no file of its own next to the bundle; the
 * driver's path comes from the opener, because the current folder (a user's project) may have none. It sleeps
 * until woken; everything after the driver loads is in try/finally, so CLOSED is set whatever happens and
 * `close` never waits for a thread that has gone.
 */
const THREAD = `
const { workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
let database;
try {
  const SQLite = require(workerData.driver);
  database = new SQLite(workerData.file, { fileMustExist: true });
  for (;;) {
    Atomics.wait(state, ${WAKE}, 0);
    Atomics.store(state, ${WAKE}, 0);
    if (Atomics.load(state, ${STOP}) === 1) break;
    database.pragma('wal_checkpoint(PASSIVE)');
  }
} finally {
  try { database?.close(); } finally { Atomics.store(state, ${CLOSED}, 1); Atomics.notify(state, ${CLOSED}); }
}
`;

/**
 * Copies a SQLite WAL back into the database file from a thread of its own. Left to the connection that commits,
 * a checkpoint runs inside the commit that passes 1,000 frames: with the random index pages a 100-metric
 * log-batch touches, that is every few commits, and it writes the pages and fsyncs the file on the event loop
 * (2–3 ms a request, measured). Here the writer only reads the WAL-index header after each commit (one small
 * read); past the same 1,000 frames it wakes a thread that runs a PASSIVE checkpoint on a connection of its own,
 * which never blocks the writer. The thread starts the first time it is needed, so a command that writes little
 * never pays for it.
 */
export class SqliteCheckpointer {
  readonly #file: string;
  /** Hands checkpoints back to SQLite when the WAL-index cannot be read (no `-shm`: exclusive locking mode). */
  readonly #fallBack: () => void;
  readonly #state = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #shm: number | undefined;
  #worker: Worker | undefined;
  #disabled = false;

  constructor(file: string, fallBack: () => void) {
    this.#file = file;
    this.#fallBack = fallBack;
  }

  /** A transaction committed: wakes the thread once enough of the WAL waits to be copied back. */
  committed(): void {
    if (this.#disabled || this.#pendingFrames() < CHECKPOINT_FRAMES) return;
    this.#worker ??= this.#start();
    Atomics.store(this.#state, WAKE, 1);
    Atomics.notify(this.#state, WAKE);
  }

  /**
   * Waits (blocking: Kysely closes SQLite synchronously) until the thread has closed its connection, so the
   * writer's connection is the last one and its own close checkpoints and removes the WAL, as SQLite does alone.
   */
  close(): void {
    if (this.#shm !== undefined) closeSync(this.#shm);
    this.#shm = undefined;
    if (this.#worker === undefined) return;
    Atomics.store(this.#state, STOP, 1);
    Atomics.store(this.#state, WAKE, 1);
    Atomics.notify(this.#state, WAKE);
    Atomics.wait(this.#state, CLOSED, 0, CLOSE_WAIT_MS);
    this.#worker = undefined;
  }

  #pendingFrames(): number {
    try {
      this.#shm ??= openSync(`${this.#file}-shm`, 'r');
      readSync(this.#shm, this.#header, 0, HEADER_BYTES, 0);
    } catch {
      this.#disabled = true;
      this.#fallBack();
      return 0;
    }
    const read = (offset: number) =>
      LITTLE_ENDIAN ? this.#header.readUInt32LE(offset) : this.#header.readUInt32BE(offset);
    return read(MX_FRAME_OFFSET) - read(N_BACKFILL_OFFSET);
  }

  #start(): Worker {
    const worker = new Worker(THREAD, {
      eval: true,
      workerData: {
        file: this.#file,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        state: this.#state.buffer,
      },
    });
    // A thread that cannot open the file leaves the WAL to the writer's own threshold: nothing is lost.
    worker.on('error', () => undefined);
    worker.unref();
    return worker;
  }
}
