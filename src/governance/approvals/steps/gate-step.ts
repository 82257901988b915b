import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { InvalidInputError, InvalidStateError } from '../../../common/errors.js';
import { pickName, writeJsonOutput } from '../../../pipelines/index.js';
import type { ModelVersionStatus, RegistryService, VersionReference } from '../../../registry/index.js';
import type { TrackingService } from '../../../tracking/index.js';
import { loadPolicyFile } from '../policy.js';
import type { ApprovalService } from '../service.js';
import type { GateEvaluation } from '../types.js';
import { GateConfigSchema, type GateStepTask } from './kind.js';

/** What the `gate` step works with: the orchestrator's store, opened by the step's process. */
export interface GateStepDeps {
  tracking: TrackingService;
  registry: RegistryService;
  approvals: ApprovalService;
  /** One line of the step's log. */
  log(line: string): void;
}

/** What a `gate` step writes to its output: nothing that changes between identical runs (no times, no ids). */
export interface GateDecision {
  model: string;
  version: number;
  policy_digest: string;
  passed: boolean;
  failed: string[];
  status: ModelVersionStatus;
  /**
   * The alias that points at the version after the step, when the policy moves one. What its
   * `on_approve.deploy` did is logged only: it depends on the store (a deployment created or moved,
   * nothing for a version approved before), not on the run.
   */
  alias: string | null;
}

/**
 * `gate`: evaluates the model's policy against the version a `register` step output and stores the
 * result; approves the version when the policy has `auto_approve` and every gate passed (moving the
 * `on_approve` alias); fails the step when a gate fails unless `fail_on_reject: false` or the version was
 * approved before.
 *
 * The policy file is the model's policy: when the model has none yet, the file is set as its policy
 * (audited); when it has one, the file must mean the same (same digest), so a pipeline cannot
 * loosen the rules an admin set with `ciclo models policy set`.
 */
export async function runGateStep(
  deps: GateStepDeps,
  task: GateStepTask,
): Promise<{ decision: GateDecision; evaluation: GateEvaluation }> {
  const config = GateConfigSchema.parse(task.config);
  const input = task.inputs[pickName('input', config.input, Object.keys(task.inputs), 'input')]!;
  const reference = await readReference(input);
  const file = isAbsolute(config.policy) ? config.policy : join(task.workDir, config.policy);
  const loaded = await loadPolicyFile(file);

  const stored = await deps.approvals.findPolicy(reference.model);
  if (stored === undefined) {
    await deps.approvals.setPolicy(reference.model, loaded.text, config.policy);
    deps.log(`policy of ${reference.model} set from ${config.policy} (${loaded.digest})`);
  } else if (stored.digest !== loaded.digest) {
    throw new InvalidStateError(
      `${config.policy} (${loaded.digest}) differs from the policy of ${reference.model} ` +
        `(${stored.digest}, set by ${stored.setBy})`,
      {
        where: config.policy,
        hint:
          `Make it the model's policy with \`ciclo models policy set ${reference.model} ${config.policy}\` ` +
          "(an admin's call), or restore the file.",
      },
    );
  }

  const evaluation = await deps.approvals.evaluateGates(reference.model, reference.version, {
    loaded,
    source: config.policy,
  });
  const ref = `${reference.model}/${reference.version}`;
  for (const result of evaluation.results)
    deps.log(`${result.passed ? 'pass' : 'FAIL'}  ${result.gate.padEnd(44)} ${result.message}`);
  const failed = evaluation.results.filter((result) => !result.passed).map((result) => result.gate);
  const outcome = evaluation.passed
    ? `every gate passed (${evaluation.results.length})`
    : `${failed.length} of ${evaluation.results.length} gate(s) failed`;
  deps.log(`${ref}: ${outcome}`);
  await deps.tracking.logBatch(task.stepRunId, {
    metrics: [
      { key: 'gates.passed', value: evaluation.results.length - failed.length },
      { key: 'gates.failed', value: failed.length },
    ],
    tags: [{ key: 'ciclo.model.version', value: ref }],
  });

  const auto = await deps.approvals.autoApprove(evaluation);
  if (auto.outcome) {
    const moved = auto.outcome.alias;
    deps.log(`${ref} approved by ${auto.outcome.approval.actor}${moved ? ` → ${reference.model}@${moved.alias}` : ''}`);
    for (const deployed of auto.outcome.deployments ?? []) {
      const message = deployed.message === undefined ? '' : `: ${deployed.message}`;
      deps.log(`deploy to ${deployed.env}: ${deployed.deployment} ${deployed.action}${message}`);
    }
  } else {
    deps.log(`${ref} not approved automatically: ${auto.reason}`);
  }

  const version = await deps.registry.show(reference.model, reference.version);
  const onApprove = loaded.policy.on_approve?.alias;
  const decision: GateDecision = {
    model: reference.model,
    version: reference.version,
    policy_digest: evaluation.policyDigest,
    passed: evaluation.passed,
    failed,
    status: version.status,
    alias: onApprove !== undefined && version.aliases.includes(onApprove) ? onApprove : null,
  };
  await writeJsonOutput(task.outputs, config.output, decision);
  // A version approved before keeps its decision: the gates judged it then. Judged again later (the quickstart run
  // once more after a newer champion), failing gates are reported above but do not fail the step.
  if (!evaluation.passed && config.fail_on_reject && version.status !== 'approved') {
    throw new InvalidStateError(`${ref} failed gate(s) ${failed.join(', ')} of ${config.policy}`, {
      hint: 'see the gate results above; set fail_on_reject: false to record them without failing the step',
    });
  }
  return { decision, evaluation };
}

async function readReference(file: string): Promise<VersionReference> {
  let parsed: Partial<VersionReference>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<VersionReference>;
  } catch (error) {
    throw new InvalidInputError(
      `${file} is not a version reference written by a register step: ${(error as Error).message}`,
      { where: 'input' },
    );
  }
  if (typeof parsed.model !== 'string' || !Number.isSafeInteger(parsed.version)) {
    throw new InvalidInputError(
      `${file} is not a version reference written by a register step (it needs "model" and "version")`,
      { where: 'input' },
    );
  }
  return parsed as VersionReference;
}
