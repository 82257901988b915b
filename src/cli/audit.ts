import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { InvalidInputError } from '../common/errors.js';
import {
  createCheckpoint,
  readCheckpoint,
  sendCheckpoint,
  type AuditAnchor,
  type AuditCheckpoint,
  type AuditListQuery,
  type AuditLog,
  type AuditRecord,
  type AuditVerification,
} from '../governance/index.js';
import { EXIT } from './exit-code.js';
import { formatTime, renderTable } from './format.js';
import { emit } from './output.js';
import { withLocalContext } from './local-context.js';

interface ListFlags {
  target?: { type: string; id?: string };
  actor?: string;
  action?: string;
  max: number;
  after?: number;
}

interface VerifyFlags {
  anchor?: { seq: number; hash: string };
  checkpoint: string[];
}

interface CheckpointFlags {
  out?: string;
  webhook?: string;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit log: every change as a hash chain');

  audit
    .command('list')
    .description('audit entries, oldest first (the latest --max of them unless --after is given)')
    .option('--target <type[:id]>', 'only entries about this target type, or this one target', parseTarget)
    .option('--actor <actor>', 'only entries by this actor')
    .option('--action <action>', 'only entries with this action')
    .option('--max <n>', 'at most this many entries', parsePositive, 50)
    .option('--after <seq>', 'entries after this seq (page forward from an earlier listing)', parseWhole)
    .action(async (flags: ListFlags, command: Command) => {
      const query: AuditListQuery = {
        limit: flags.max,
        ...(flags.target === undefined ? {} : { target: flags.target }),
        ...(flags.actor === undefined ? {} : { actor: flags.actor }),
        ...(flags.action === undefined ? {} : { action: flags.action }),
      };
      const entries = await withAudit(async (log) =>
        flags.after === undefined
          ? (await log.list({ ...query, order: 'desc' })).reverse()
          : log.list({ ...query, after: flags.after, order: 'asc' }),
      );
      emit(command, entries, () => renderEntries(entries));
    });

  audit
    .command('verify')
    .description(
      'recompute the whole chain (and its MACs when CICLO_AUDIT_KEY is set); ' +
        'exit 1 listing every row edited, deleted, inserted or forged',
    )
    .option(
      '--anchor <seq:hash>',
      'a head recorded earlier (printed by verify): the chain must still contain it',
      parseAnchor,
    )
    .option(
      '--checkpoint <file>',
      'a signed head written by `audit checkpoint --out` (repeatable): no row at or before it may have changed',
      collect,
      [],
    )
    .action(async (flags: VerifyFlags, command: Command) => {
      const result = await withAudit(async (log) => {
        const anchors: AuditAnchor[] =
          flags.anchor === undefined ? [] : [{ ...flags.anchor, source: `--anchor ${flags.anchor.seq}` }];
        for (const file of flags.checkpoint) anchors.push(readCheckpoint(await readText(file), log.keyring, file));
        return log.verify({ anchors });
      });
      emit(command, result, () => renderVerification(result));
      if (!result.ok) process.exitCode = EXIT.failure;
    });

  audit
    .command('checkpoint')
    .description(
      'append a checkpoint row and export the signed head (needs CICLO_AUDIT_KEY): ' +
        'verify --checkpoint then finds any rewrite at or before it',
    )
    .option('--out <file>', 'write the checkpoint to this file')
    .option('--webhook <url>', 'POST the checkpoint as JSON to this URL', parseUrl)
    .action(async (flags: CheckpointFlags, command: Command) => {
      if ((flags.out === undefined) === (flags.webhook === undefined)) {
        throw new InvalidInputError('give exactly one of --out FILE or --webhook URL', {
          where: '--out/--webhook',
          hint: 'ciclo audit checkpoint --out audit-checkpoint.json',
        });
      }
      const checkpoint = await withAudit((log) => createCheckpoint(log, flags.out === undefined ? 'webhook' : 'file'));
      if (flags.out !== undefined) await writeAtomically(flags.out, `${JSON.stringify(checkpoint, null, 2)}\n`);
      else await sendCheckpoint(flags.webhook!, checkpoint);
      emit(command, checkpoint, () => renderCheckpoint(checkpoint, flags.out ?? flags.webhook!));
    });
}

async function withAudit<T>(fn: (log: AuditLog) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.audit));
}

export function renderEntries(entries: readonly AuditRecord[]): string {
  if (entries.length === 0) return 'No audit entries.';
  return renderTable(
    ['SEQ', 'TIME', 'ACTOR', 'ACTION', 'TARGET', 'BEFORE', 'AFTER', 'REQUEST'],
    entries.map((e) => [
      String(e.seq),
      formatTime(e.time),
      e.actor,
      e.action,
      e.target.id === '' ? e.target.type : `${e.target.type}:${e.target.id}`,
      shortDigest(e.beforeDigest),
      shortDigest(e.afterDigest),
      e.requestId ?? '-',
    ]),
    ['right'],
  );
}

export function renderVerification(result: AuditVerification): string {
  const head = `head ${result.head.seq}:${result.head.hash}`;
  const keys =
    result.keys.status === 'checked'
      ? `MACs checked from row ${result.keys.keyedFrom}.`
      : result.keys.status === 'unkeyed'
        ? 'CICLO_AUDIT_KEY is set, but no row carries a MAC yet (`ciclo audit checkpoint` appends a keyed row).'
        : 'Unkeyed: CICLO_AUDIT_KEY is not set, so only hashes are checked; ' +
          'a database writer could rewrite the chain and its hashes (README: Audit log).';
  if (result.ok) return `Audit chain intact: ${result.checked} row(s) checked.\n${keys}\n${head}`;
  const lines = result.problems.map((p) => `  row ${p.seq} (${p.reason}): ${p.message}`);
  if (result.problemCount > result.problems.length)
    lines.push(`  … and ${result.problemCount - result.problems.length} more`);
  return (
    `Audit chain BROKEN: ${result.problemCount} problem(s) in ${result.checked} row(s) checked.\n` +
    `${lines.join('\n')}\n${keys}\n${head}`
  );
}

function renderCheckpoint(checkpoint: AuditCheckpoint, destination: string): string {
  return (
    `Checkpoint at row ${checkpoint.seq} (${checkpoint.hash}) written to ${destination}.\n` +
    'Keep it outside the database: `ciclo audit verify --checkpoint FILE` finds any rewrite at or before it.'
  );
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { where: file, hint: 'pass a file written by `ciclo audit checkpoint --out`' },
    );
  }
}

/** Temp file beside the target, then rename: a failed write never leaves half a checkpoint. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o600, flush: true });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

function shortDigest(digest: string | null): string {
  return digest === null ? '-' : digest.slice(0, 7 + 12);
}

function parseTarget(value: string): { type: string; id?: string } {
  const colon = value.indexOf(':');
  const type = colon < 0 ? value : value.slice(0, colon);
  if (type.trim() === '') throw new InvalidArgumentError('must be TYPE or TYPE:ID');
  return colon < 0 ? { type } : { type, id: value.slice(colon + 1) };
}

function parseAnchor(value: string): { seq: number; hash: string } {
  const match = /^(\d+):(sha256:[0-9a-f]{64})$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError('must be SEQ:sha256:<64 hex>, as verify prints it');
  return { seq: Number(match[1]), hash: match[2]! };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseUrl(value: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new InvalidArgumentError('must be an http:// or https:// URL');
  return value;
}

function parseWhole(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function parsePositive(value: string): number {
  const n = parseWhole(value);
  if (n < 1) throw new InvalidArgumentError('must be at least 1');
  return n;
}
