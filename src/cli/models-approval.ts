import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { NotFoundError } from '../common/errors.js';
import {
  loadPolicyFile,
  type ApprovalService,
  type DecisionOutcome,
  type DeployOutcome,
  type GateEvaluation,
  type StoredPolicy,
} from '../governance/approvals/index.js';
import { formatTime, renderFields, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

/**
 * `ciclo models approve|reject|gates|policy`: approvals on the local store (as the rest of
 * `ciclo models`). The caller is the operating-system user.
 */
export function registerApprovalCommands(models: Command): void {
  for (const decision of ['approve', 'reject'] as const) {
    models
      .command(decision)
      .description(
        decision === 'approve'
          ? "approve a pending version (the model's policy decides who may, and its gates must have passed)"
          : 'reject a pending version (it can then never get an alias or a stage)',
      )
      .argument('<name>', 'model name')
      .argument('<version>', 'version number', parseVersion)
      .option('--comment <text>', 'why')
      .action(async (name: string, version: number, flags: { comment?: string }, command: Command) => {
        const options = flags.comment === undefined ? {} : { comment: flags.comment };
        const outcome = await withApprovals((approvals) =>
          decision === 'approve' ? approvals.approve(name, version, options) : approvals.reject(name, version, options),
        );
        emit(command, outcome, () => renderOutcome(outcome));
      });
  }

  models
    .command('approve-deploy')
    .description(
      "approve deploying an approved version to an environment whose policy entry waits for a person's approval",
    )
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', parseVersion)
    .requiredOption('--env <env>', 'the environment of the on_approve.deploy entry (e.g. prod)')
    .option('--comment <text>', 'why')
    .action(async (name: string, version: number, flags: { env: string; comment?: string }, command: Command) => {
      const options = flags.comment === undefined ? {} : { comment: flags.comment };
      const outcome = await withApprovals((approvals) => approvals.approveDeploy(name, version, flags.env, options));
      emit(command, outcome, () => renderDeploys([outcome]));
      if (outcome.action === 'failed') process.exitCode = 1;
    });

  models
    .command('gates')
    .description("evaluate the model's policy gates against a version and store the result (exit 1 when a gate fails)")
    .argument('<name>', 'model name')
    .argument('<version>', 'version number', parseVersion)
    .option(
      '--policy <file>',
      'evaluate this policy file instead of the stored policy (approval counts only the stored one)',
    )
    .action(async (name: string, version: number, flags: { policy?: string }, command: Command) => {
      const override =
        flags.policy === undefined ? undefined : { loaded: await loadPolicyFile(flags.policy), source: flags.policy };
      const evaluation = await withApprovals((approvals) => approvals.evaluateGates(name, version, override));
      emit(command, evaluation, () => renderEvaluation(evaluation));
      if (!evaluation.passed) process.exitCode = 1;
    });

  const policy = models
    .command('policy')
    .description("a model's approval policy (YAML): gates, approvers, four-eyes, auto-approval");
  policy
    .command('set')
    .description("make the file the model's policy (replacing the one it had)")
    .argument('<name>', 'model name')
    .argument('<file>', 'policy YAML')
    .action(async (name: string, file: string, _options: object, command: Command) => {
      const text = await readPolicyText(file);
      const stored = await withApprovals((approvals) => approvals.setPolicy(name, text, file));
      emit(command, stored, () => `policy of ${name} set (${stored.digest})`);
    });
  policy
    .command('show')
    .description("the model's policy as it was set")
    .argument('<name>', 'model name')
    .action(async (name: string, _options: object, command: Command) => {
      const stored = await withApprovals((approvals) => approvals.getPolicy(name));
      emit(command, stored, () => renderPolicy(stored));
    });
}

async function withApprovals<T>(fn: (approvals: ApprovalService) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.approvals));
}

async function readPolicyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`policy file ${file} does not exist`, { where: file });
  }
}

function renderOutcome(outcome: DecisionOutcome): string {
  const { approval, alias, deployments = [] } = outcome;
  const head = `${approval.name}/${approval.version} ${approval.decision} by ${approval.actor}`;
  const moved =
    alias === undefined
      ? ''
      : ` → ${approval.name}@${alias.alias}${alias.previous === null ? '' : ` (was ${alias.previous})`}`;
  const comment = approval.comment === null ? '' : `\n  comment: ${approval.comment}`;
  return `${head}${moved}${comment}${deployments.length === 0 ? '' : `\n${renderDeploys(deployments)}`}`;
}

/** One line per environment the policy deploys to: what happened, and what a person must still do. */
function renderDeploys(deploys: readonly DeployOutcome[]): string {
  return deploys
    .map((deploy) => {
      const line = `  ${deploy.env}: ${deploy.deployment} ${deploy.action}`;
      return deploy.message === undefined ? line : `${line} (${deploy.message})`;
    })
    .join('\n');
}

function renderEvaluation(evaluation: GateEvaluation): string {
  const head = renderFields([
    ['model', `${evaluation.name}/${evaluation.version}`],
    ['policy', `${evaluation.policySource} (${evaluation.policyDigest})`],
    ['evaluated', `${formatTime(evaluation.evaluatedTime)} by ${evaluation.evaluatedBy}`],
    ['passed', evaluation.passed ? 'yes' : `no (${evaluation.results.filter((r) => !r.passed).length} failed)`],
  ]);
  if (evaluation.results.length === 0) return `${head}\n\nthe policy declares no gates`;
  const table = renderTable(
    ['gate', 'result', 'observed', 'expected', 'message'],
    evaluation.results.map((r) => [
      r.gate,
      r.passed ? 'pass' : 'FAIL',
      r.observed === null ? '-' : String(r.observed),
      r.expected,
      r.message,
    ]),
  );
  return `${head}\n\n${table}`;
}

function renderPolicy(stored: StoredPolicy): string {
  const head = renderFields([
    ['model', stored.name],
    ['digest', stored.digest],
    ['set', `${formatTime(stored.setTime)} by ${stored.setBy}`],
  ]);
  return `${head}\n\n${stored.text.trimEnd()}`;
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError('must be a version number (1, 2, …)');
  return Number(value);
}
