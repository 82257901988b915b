import type { Command } from 'commander';
import type { DamagedBlob, FsckReport } from '../artifacts/index.js';
import { formatBytes, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

export function registerFsckCommand(program: Command): void {
  program
    .command('fsck')
    .description(
      're-hash every blob (artifacts, dataset files, model packages) against its digest; ' +
        'exit 1 on any corrupt or missing one',
    )
    .action(async (_options: object, command: Command) => {
      const report = await withLocalContext((context) => context.integrity.fsck());
      emit(command, report, () => renderFsck(report));
      if (report.corrupt.length > 0 || report.missing.length > 0) process.exitCode = 1;
    });
}

function renderFsck(report: FsckReport): string {
  const lines = [
    `Checked ${report.blobs} blob(s) (${formatBytes(report.bytes)}); ` +
      `the metadata store names ${report.referenced} digest(s).`,
  ];
  const damaged = [
    ...report.corrupt.map((blob) => ['corrupt', blob.digest, `hashes to ${blob.actual}`, neededBy(blob)]),
    ...report.missing.map((blob) => ['missing', blob.digest, '', neededBy(blob)]),
  ];
  if (damaged.length > 0) lines.push('', renderTable(['STATE', 'DIGEST', 'FOUND', 'NEEDED BY'], damaged));
  if (report.unreferenced.length > 0) {
    const bytes = report.unreferenced.reduce((sum, blob) => sum + blob.sizeBytes, 0);
    lines.push(
      '',
      `${report.unreferenced.length} unreferenced blob(s), ${formatBytes(bytes)}: ` +
        'ciclo gc deletes those older than its grace period (--dry-run lists them).',
    );
  }
  lines.push(
    '',
    damaged.length === 0
      ? 'No corrupt or missing blobs.'
      : `${report.corrupt.length} corrupt, ${report.missing.length} missing: ` +
          'log or register the content again to restore a blob, or restore it from a backup.',
  );
  return lines.join('\n');
}

function neededBy(blob: DamagedBlob): string {
  if (blob.referrerCount === 0) return '(nothing)';
  const more = blob.referrerCount - blob.referrers.length;
  return more > 0 ? `${blob.referrers.join('; ')} (+${more} more)` : blob.referrers.join('; ');
}
