import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Source } from './sources.js';

/**
 * The source's CSV files without their first `rows` lines, copied into `scratch`: scikit-learn's bundled
 * CSVs, and many exported ones, start with a line of metadata (counts, class names) above the header.
 * The version stores the copies, so every reader (DuckDB, a step given the file's path) sees a plain
 * CSV; errors still name the user's file and its own line numbers (`shownAs`, `lineOffset`).
 */
export async function withoutLeadingRows(source: Source, rows: number, scratch: string): Promise<Source> {
  const files = [];
  for (const [index, file] of source.files.entries()) {
    const copy = path.join(scratch, `${index}.csv`);
    await pipeline(createReadStream(file.file), dropLines(rows), createWriteStream(copy, { mode: 0o600 }));
    files.push({ ...file, file: copy, sizeBytes: (await stat(copy)).size, shownAs: file.file, lineOffset: rows });
  }
  return { ...source, files };
}

/** Passes bytes on once `count` newlines have gone by. */
function dropLines(count: number): Transform {
  let left = count;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let start = 0;
      while (left > 0 && start < chunk.length) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline === -1) {
          start = chunk.length;
          break;
        }
        start = newline + 1;
        left--;
      }
      done(null, start < chunk.length ? chunk.subarray(start) : undefined);
    },
  });
}
