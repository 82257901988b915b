import type { Command } from 'commander';
import { renderPlan, type SetupPlan } from '../setup/index.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

/** Exit code of `ciclo plan --detailed-exitcode` when the store differs from the file (terraform's convention). */
export const PLAN_HAS_CHANGES = 2;

interface SetupFlags {
  file: string;
  prune?: boolean;
  detailedExitcode?: boolean;
}

/** `ciclo plan`: a project's setup declared in ciclo.yaml (docs/setup.md) against the store. */
export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('show how the store differs from ciclo.yaml, resource by resource and field by field')
    .option('-f, --file <path>', 'the setup file', 'ciclo.yaml')
    .option('--prune', 'also list what the store has and the file does not, as deletions')
    .option('--detailed-exitcode', `exit ${PLAN_HAS_CHANGES} when there are changes, 0 when none, 1 on an error`)
    .action(async (flags: SetupFlags, command: Command) => {
      const plan = await withLocalContext((context) => context.setup.plan(flags.file, { prune: flags.prune }));
      emit(command, planToWire(plan), () => renderPlan(plan, 'plan'));
      if (flags.detailedExitcode && plan.changes.length > 0) process.exitCode = PLAN_HAS_CHANGES;
    });
}

/** `ciclo apply`: the store made to match ciclo.yaml. */
export function registerApplyCommand(program: Command): void {
  program
    .command('apply')
    .description('make the store match ciclo.yaml (each kind in one transaction, every change audited)')
    .option('-f, --file <path>', 'the setup file', 'ciclo.yaml')
    .option('--prune', 'also delete what the store has and the file does not')
    .action(async (flags: SetupFlags, command: Command) => {
      const plan = await withLocalContext((context) => context.setup.apply(flags.file, { prune: flags.prune }));
      emit(command, planToWire(plan), () => renderPlan(plan, 'apply'));
    });
}

function planToWire(plan: SetupPlan) {
  return {
    file: plan.file,
    prune: plan.prune,
    counts: plan.counts,
    changes: plan.changes.map((change) => ({
      kind: change.kind,
      name: change.name,
      action: change.action,
      fields: change.fields,
    })),
  };
}
