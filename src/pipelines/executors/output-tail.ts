import { open } from 'node:fs/promises';

/** As many lines as show the cause (a Python traceback's last frames and its exception) and no more. */
const TAIL_LINES = 20;
/** Read at most this much of the log's end: a step that printed gigabytes is not read back. */
const TAIL_BYTES = 8192;
const LINE_CHARS = 300;

/**
 * The last lines a failed step printed in this attempt (its log from `fromOffset`), so the failure is
 * explained where it is seen (the progress line, `pipeline show`), not only in `pipeline logs`.
 * Stdout and stderr share the log file, in the order they were written. Empty when it printed nothing.
 */
export async function outputTail(logFile: string, fromOffset: number): Promise<string[]> {
  const file = await open(logFile, 'r');
  try {
    const size = (await file.stat()).size;
    const start = Math.max(fromOffset, size - TAIL_BYTES);
    const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(size - start), position: start });
    const lines = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/);
    // The first line was cut at TAIL_BYTES: marked as cut, it may still be all the step printed.
    if (start > fromOffset) lines[0] = `…${lines[0]!}`;
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
    return lines.slice(-TAIL_LINES).map((line) => shortened(line.trimEnd()));
  } finally {
    await file.close();
  }
}

/** A line's end, where a message or a value usually is; a progress bar or a data dump has no use whole. */
function shortened(line: string): string {
  return line.length <= LINE_CHARS ? line : `…${line.slice(-LINE_CHARS)}`;
}

/** The error of a step that exited non-zero, with what it printed last. */
export function failureWithOutput(error: string, tail: readonly string[]): string {
  return tail.length === 0 ? `${error} and printed nothing` : `${error}; its last output:\n${tail.join('\n')}`;
}
