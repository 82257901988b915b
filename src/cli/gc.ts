import type { Command } from 'commander';
import type { GcReport } from '../artifacts/index.js';
import { formatBytes, formatTime } from './format.js';
import { withLocalContext } from './local-context.js';
import { parseGracePeriod } from './option-parsers.js';
import { emit } from './output.js';

const DEFAULT_GRACE_MS = 24 * 3_600_000;

export function registerGcCommand(program: Command): void {
  program
    .command('gc')
    .description(
      'delete blobs nothing references (failed registrations, replaced artifacts) ' +
        'that were last written longer ago than the grace period',
    )
    .option(
      '--older-than <age>',
      'the grace period: 30m, 12h, 7d (at least 1h; a blob is stored before the row naming it commits, ' +
        'so a younger unreferenced blob may belong to a write in progress; default 24h)',
      parseGracePeriod,
      DEFAULT_GRACE_MS,
    )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .action(async (options: { olderThan: number; dryRun?: boolean }, command: Command) => {
      const report = await withLocalContext((context) =>
        context.integrity.gc({ olderThanMs: options.olderThan, dryRun: options.dryRun === true }),
      );
      emit(command, report, () => renderGc(report));
    });
}

function renderGc(report: GcReport): string {
  const verb = report.dryRun ? 'Would delete' : 'Deleted';
  const lines = [
    `${verb} ${report.deleted.length} unreferenced blob(s), ${formatBytes(report.deletedBytes)}, ` +
      `last written before ${formatTime(report.cutoff)}.`,
  ];
  for (const blob of report.deleted)
    lines.push(`  ${blob.digest}  ${formatBytes(blob.sizeBytes)}  ${formatTime(blob.modifiedTime)}`);
  if (report.keptYoung > 0)
    lines.push(`Kept ${report.keptYoung} younger unreferenced blob(s): a write in progress may be about to name them.`);
  if (report.tempFiles.length > 0)
    lines.push(
      `${report.dryRun ? 'Would remove' : 'Removed'} ${report.tempFiles.length} temp file(s) of unfinished writes.`,
    );
  return lines.join('\n');
}
