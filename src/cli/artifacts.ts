import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { InvalidInputError } from '../sdk/index.js';
import { formatBytes, renderTable } from './format.js';
import { emit, wantsJson } from './output.js';
import { withTracking } from './session.js';

export function registerArtifactCommands(program: Command): void {
  const artifacts = program.command('artifacts').description("list and download a run's artifacts");

  artifacts
    .command('list')
    .description('the files and folders directly under PATH (the root by default)')
    .argument('<run-id>')
    .argument('[path]', 'folder inside the run')
    .action(async (runId: string, path: string | undefined, _options: object, command: Command) => {
      const entries = await withTracking((api) => api.listArtifacts(runId, path));
      emit(command, entries, () =>
        entries.length === 0
          ? 'No artifacts.'
          : renderTable(
              ['PATH', 'TYPE', 'SIZE'],
              entries.map((e) => [e.isDir ? `${e.path}/` : e.path, e.isDir ? 'dir' : 'file', formatBytes(e.fileSize)]),
              ['left', 'left', 'right'],
            ),
      );
    });

  artifacts
    .command('get')
    .description('download one artifact to stdout, or to a file with --out')
    .argument('<run-id>')
    .argument('<path>', 'file inside the run')
    .option('--out <file>', 'write here (atomically) instead of stdout')
    .action(async (runId: string, path: string, options: { out?: string }, command: Command) => {
      if (options.out === undefined && wantsJson(command)) {
        throw new InvalidInputError('--json needs --out: without it the artifact itself is what goes to stdout', {
          where: '--out',
          hint: 'add --out FILE, or drop --json',
        });
      }
      await withTracking(async (api) => {
        const content = await api.openArtifact(runId, path);
        if (options.out === undefined) return pipeline(content, process.stdout, { end: false });
        const out = resolve(options.out);
        const sizeBytes = await writeAtomically(content, out);
        emit(command, { runId, path, out, sizeBytes }, () => `Wrote ${path} to ${out} (${formatBytes(sizeBytes)})`);
      });
    });
}

/** Temp file beside the target, then rename: a failed or corrupt download never leaves a partial file. */
async function writeAtomically(content: Readable, target: string): Promise<number> {
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(content, createWriteStream(temp, { flags: 'wx' }));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return (await stat(target)).size;
}
