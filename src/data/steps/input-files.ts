import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../common/errors.js';
import type { DataFormat } from '../duckdb.js';

/**
 * The files of a step input and their format. Step outputs often have no extension (`outputs/data`),
 * so the format is read from the first bytes: Parquet's magic number, a JSON object, else CSV.
 */
export async function inputFiles(input: string): Promise<{ files: string[]; format: DataFormat }> {
  const info = await stat(input).catch(() => undefined);
  if (!info) throw new InvalidInputError(`input ${input} does not exist`, { where: input });
  const files = info.isDirectory()
    ? (await readdir(input, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
        .map((entry) => path.join(entry.parentPath, entry.name))
        .sort()
    : [input];
  if (files.length === 0) throw new InvalidInputError(`input folder ${input} holds no files`, { where: input });
  const formats = new Set(await Promise.all(files.map(sniffFormat)));
  if (formats.size > 1) {
    throw new InvalidInputError(`input ${input} mixes formats (${[...formats].join(', ')})`, {
      where: input,
      hint: 'a dataset is files of one format',
    });
  }
  return { files, format: [...formats][0]! };
}

async function sniffFormat(file: string): Promise<DataFormat> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
    return head.toString('utf8').trimStart().startsWith('{') ? 'jsonl' : 'csv';
  } finally {
    await handle.close();
  }
}
