import { InvalidArgumentError, type Command } from 'commander';
import type { AuditListQuery, AuditLog, AuditRecord, AuditVerification } from '../governance/index.js';
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
    .description('recompute the whole chain; exit 1 at the first row edited, deleted or inserted behind the server')
    .option('--anchor <seq:hash>', 'a head recorded earlier (printed by verify): the chain must still contain it', parseAnchor)
    .action(async (flags: VerifyFlags, command: Command) => {
      const result = await withAudit((log) => log.verify(flags.anchor === undefined ? {} : { anchor: flags.anchor }));
      emit(command, result, () => renderVerification(result));
      if (!result.ok) process.exitCode = EXIT.failure;
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
  if (result.ok) return `Audit chain intact: ${result.checked} row(s) checked.\n${head}`;
  const bad = result.firstBad!;
  return `Audit chain BROKEN at row ${bad.seq} (${bad.reason}): ${bad.message}\n${result.checked} row(s) before it are intact.\n${head}`;
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
