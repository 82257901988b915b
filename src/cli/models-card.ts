import type { Command } from 'commander';
import { type ApprovalService } from '../governance/approvals/index.js';
import { buildModelCard, renderModelCard, writeModelCard, type CardApprovals } from '../registry/index.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

/** `ciclo models card NAME@alias | NAME/3 | NAME`: the model card, printed or written to a folder. */
export function addModelCardCommand(models: Command): void {
  models
    .command('card')
    .description('the model card of a version, from what the registry knows: Markdown, or JSON with --json')
    .argument('<model>', 'NAME (latest version), NAME/VERSION or NAME@ALIAS')
    .option('--out <dir>', 'write <name>-v<version>.md and .json into this folder instead of printing')
    .action(async (reference: string, options: { out?: string }, command: Command) => {
      const card = await withLocalContext((context) =>
        buildModelCard(reference, {
          registry: context.registry,
          datasets: context.datasets,
          approvals: cardApprovals(context.approvals),
        }),
      );
      if (options.out !== undefined) {
        const written = await writeModelCard(card, options.out);
        emit(command, written, () => `wrote ${written.markdown}\nwrote ${written.json}`);
        return;
      }
      emit(command, card, () => renderModelCard(card).trimEnd());
    });
}

/** The card shows every decision and the gates of the latest evaluation. */
function cardApprovals(approvals: ApprovalService): CardApprovals {
  return {
    history: (name, version) => approvals.history(name, version),
    gateResults: async (name, version) => (await approvals.gateResults(name, version)).at(-1)?.results ?? [],
    policyDescription: async (name) => (await approvals.findPolicy(name))?.policy.description ?? null,
  };
}
