import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  describeError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  PermissionDeniedError,
} from '../../common/errors.js';
import {
  aliasVersion,
  decideVersionStatus,
  findVersion,
  findVersionState,
  hasVerifiedPackage,
  modelExists,
  requireVerifiedPackage,
  upsertAlias,
  type ModelVersion,
  type RegistryService,
} from '../../registry/index.js';
import type { Schema } from '../../store/index.js';
import { ROLES, type AccessControl, type Role } from '../access/index.js';
import { currentActor } from '../actor.js';
import { auditRefusals, digestOf, type AuditLog } from '../audit/index.js';
import { evaluatePolicyGates, type GateEvidence } from './gates.js';
import { parsePolicyYaml, type DeployOnApprove, type LoadedPolicy, type Policy } from './policy.js';
import * as store from './store.js';
import type {
  ApprovalRecord,
  ApprovedVersion,
  Decision,
  DecisionOptions,
  DecisionOutcome,
  ChampionEvaluator,
  DeployHook,
  DeployOutcome,
  GateEvaluation,
  StoredPolicy,
} from './types.js';

export interface ApprovalDeps {
  db: Kysely<Schema>;
  /** Versions are read through the registry; their status is written here. */
  registry: RegistryService;
  /** Every change is appended here, in the transaction that makes it. */
  audit: AuditLog;
  /** Where a policy's `approvers.roles` are looked up; without it, a policy naming roles refuses everyone. */
  access?: Pick<AccessControl, 'rolesOn'>;
  /**
   * The steps of the pipeline run a version came from, for `data_validation` (the pipelines' answer, handed in by
   * src/app).
   */
  pipelineRuns?: PipelineRunFacts;
  /** Carries out a policy's `on_approve.deploy` after an approval commits (handed in by src/app). */
  deploy?: DeployHook;
  /** Scores champion and candidate on the candidate's evaluation rows, for `champion.on: evaluation_data`. */
  championEvaluator?: ChampionEvaluator;
  now?: () => number;
}

/** A pipeline run's steps as the data-validation gate reads them: each step's kind and its latest attempt's status. */
export interface PipelineRunFacts {
  /** Empty for a pipeline run that is not known. */
  stepOutcomes(pipelineRunId: string): Promise<{ name: string; kind: string; status: string }[]>;
}

/** A policy to evaluate instead of the stored one, and where it came from (a file name). */
export interface PolicyOverride {
  loaded: LoadedPolicy;
  source: string;
}

const MAX_COMMENT = 5000;

/**
 * Approval of model versions: a version is pending until someone (or its policy) approves or
 * rejects it, once. A model's policy decides what approval needs:
 *
 * - its gates (metric and fairness thresholds, beating the champion, data validation) are evaluated
 *   and stored by `evaluateGates`; a manual approval needs the latest evaluation to be of the stored
 *   policy and to have passed (rejecting never does);
 * - `approvers.users` (when listed) names who may decide; `approvers.roles` is enforced by access
 *   control on the routes, not here;
 * - `four_eyes`: whoever registered the version cannot approve it;
 * - `auto_approve`: `autoApprove` approves a version whose gates all passed, as `policy:<model>`;
 * - `on_approve.alias` moves to the version in the approval's transaction;
 * - a version without a verified package (registered over MLflow from files without one) is never
 *   approved, by hand or automatically: the registry's `requireVerifiedPackage`, which deployment uses too.
 *
 * Without a stored policy a pending version is approved or rejected by anyone allowed to call.
 */
export class ApprovalService {
  readonly #db: Kysely<Schema>;
  readonly #registry: RegistryService;
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #access: Pick<AccessControl, 'rolesOn'> | undefined;
  readonly #pipelineRuns: PipelineRunFacts | undefined;
  readonly #deploy: DeployHook | undefined;
  readonly #championEvaluator: ChampionEvaluator | undefined;

  constructor(deps: ApprovalDeps) {
    this.#db = deps.db;
    this.#registry = deps.registry;
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
    this.#access = deps.access;
    this.#pipelineRuns = deps.pipelineRuns;
    this.#deploy = deps.deploy;
    this.#championEvaluator = deps.championEvaluator;
  }

  /** Sets (or replaces) the model's policy from its YAML text; `fileName` is what errors point at. */
  async setPolicy(name: string, text: string, fileName = 'policy.yaml'): Promise<StoredPolicy> {
    await this.applyPolicyChanges({ set: [{ name, text, fileName }], remove: [] });
    return this.getPolicy(name);
  }

  /** Every model's stored policy: what `ciclo plan` compares a ciclo.yaml's approval policies with. */
  async listPolicies(): Promise<StoredPolicy[]> {
    return (await store.listPolicies(this.#db)).map((row) => ({
      name: row.name,
      policy: parsePolicyYaml(row.policy, `policy of ${row.name}`).policy,
      text: row.policy,
      digest: row.digest,
      setBy: row.set_by,
      setTime: Number(row.set_time),
    }));
  }

  /**
   * `ciclo apply`'s changes to policies, in one transaction: every `set` parsed and its model found first, then
   * all written or none. Each is recorded as `setPolicy` records it; a removal as `model.policy.delete`.
   */
  async applyPolicyChanges(changes: {
    set: readonly { name: string; text: string; fileName: string }[];
    remove: readonly string[];
  }): Promise<void> {
    const loaded = changes.set.map((entry) => ({ ...entry, loaded: parsePolicyYaml(entry.text, entry.fileName) }));
    for (const entry of loaded) await this.#registry.getModel(entry.name);
    const setBy = currentActor().actor;
    const setTime = this.#now();
    await this.#db.transaction().execute(async (trx) => {
      for (const { name, text, fileName, loaded: policy } of loaded) {
        const before = await store.findPolicy(trx, name);
        await store.upsertPolicy(trx, { name, policy: text, digest: policy.digest, set_by: setBy, set_time: setTime });
        await this.#audit.append(
          {
            action: 'model.policy.set',
            target: { type: 'model_policy', id: name },
            beforeDigest: before?.digest ?? null,
            afterDigest: policy.digest,
            details: { file: fileName },
          },
          trx,
        );
      }
      for (const name of changes.remove) {
        const before = await store.findPolicy(trx, name);
        if (before === undefined) continue;
        await store.deletePolicy(trx, name);
        await this.#audit.append(
          {
            action: 'model.policy.delete',
            target: { type: 'model_policy', id: name },
            beforeDigest: before.digest,
            afterDigest: null,
          },
          trx,
        );
      }
    });
  }

  /** The model's stored policy; NotFound when it has none. */
  async getPolicy(name: string): Promise<StoredPolicy> {
    const found = await this.findPolicy(name);
    if (found !== undefined) return found;
    await this.#registry.getModel(name);
    throw new NotFoundError(`model '${name}' has no approval policy`, {
      where: name,
      hint: `Set one with \`ciclo models policy set ${name} policy.yaml\`.`,
    });
  }

  async findPolicy(name: string): Promise<StoredPolicy | undefined> {
    const row = await store.findPolicy(this.#db, name);
    if (row === undefined) return undefined;
    const { policy } = parsePolicyYaml(row.policy, `policy of ${name}`);
    return { name, policy, text: row.policy, digest: row.digest, setBy: row.set_by, setTime: Number(row.set_time) };
  }

  /**
   * Evaluates the policy's gates against the version and stores the result: the stored policy, or
   * `override` (a file, e.g. to try a policy before setting it; approval only counts the stored one).
   */
  async evaluateGates(name: string, version: number, override?: PolicyOverride): Promise<GateEvaluation> {
    const target = await this.#registry.show(name, checkVersion(version));
    const { policy, digest, source } =
      override === undefined
        ? await this.getPolicy(name).then((stored) => ({
            policy: stored.policy,
            digest: stored.digest,
            source: 'stored',
          }))
        : { policy: override.loaded.policy, digest: override.loaded.digest, source: override.source };
    const results = evaluatePolicyGates(policy, await this.#evidence(target, policy));
    const evaluation: GateEvaluation = {
      id: randomUUID().replace(/-/g, ''),
      name,
      version: target.version,
      policySource: source,
      policyDigest: digest,
      evaluatedBy: currentActor().actor,
      evaluatedTime: this.#now(),
      passed: results.every((result) => result.passed),
      results,
    };
    await this.#db.transaction().execute(async (trx) => {
      await store.insertGateResult(trx, evaluation);
      await this.#audit.append(
        {
          action: 'model.gates.evaluate',
          target: { type: 'model_version', id: `${name}/${target.version}` },
          afterDigest: digestOf(evaluation),
          details: {
            passed: evaluation.passed,
            policy_digest: digest,
            policy_source: source,
            failed: results.filter((r) => !r.passed).map((r) => r.gate),
          },
        },
        trx,
      );
    });
    return evaluation;
  }

  /** A refused approval (approvers, four-eyes, gates, not pending) is audited as `model.approve.refused`. */
  async approve(name: string, version: number, options: DecisionOptions = {}): Promise<DecisionOutcome> {
    const checked = checkVersion(version);
    return auditRefusals(
      this.#audit,
      { action: 'model.approve', target: { type: 'model_version', id: `${name}/${checked}` } },
      () => this.#decide(name, checked, 'approved', options, false),
    );
  }

  /** A refused rejection is audited as `model.reject.refused`. */
  async reject(name: string, version: number, options: DecisionOptions = {}): Promise<DecisionOutcome> {
    const checked = checkVersion(version);
    return auditRefusals(
      this.#audit,
      { action: 'model.reject', target: { type: 'model_version', id: `${name}/${checked}` } },
      () => this.#decide(name, checked, 'rejected', options, false),
    );
  }

  /**
   * Approves the version as `policy:<model>` when the stored policy has `auto_approve`, the
   * evaluation is of that policy and passed, and the version is still pending; otherwise says why not.
   * Four-eyes and the approvers list govern people, so they do not apply here.
   */
  async autoApprove(evaluation: GateEvaluation): Promise<{ outcome?: DecisionOutcome; reason: string }> {
    const stored = await this.findPolicy(evaluation.name);
    const ref = `${evaluation.name}/${evaluation.version}`;
    if (stored === undefined || !stored.policy.auto_approve)
      return { reason: `the policy of ${evaluation.name} does not auto_approve` };
    if (stored.digest !== evaluation.policyDigest)
      return { reason: `the gates were evaluated with another policy than ${evaluation.name}'s` };
    if (!evaluation.passed) return { reason: `${ref} did not pass every gate` };
    const state = await findVersionState(this.#db, evaluation.name, evaluation.version);
    if (state?.status !== 'pending') return { reason: `${ref} is already ${state?.status ?? 'gone'}` };
    const target = await findVersion(this.#db, evaluation.name, evaluation.version);
    if (target !== undefined && !hasVerifiedPackage(target))
      return { reason: `${ref} has no verified package (registered over MLflow without one)` };
    const outcome = await this.#decide(
      evaluation.name,
      evaluation.version,
      'approved',
      { comment: 'every gate passed (auto_approve)' },
      true,
    );
    return { outcome, reason: 'every gate passed and the policy approves automatically' };
  }

  /** The decisions on the version, oldest first (at most one today: only a pending version is decided). */
  async history(name: string, version: number): Promise<ApprovalRecord[]> {
    await this.#registry.show(name, checkVersion(version));
    return store.listApprovals(this.#db, name, version);
  }

  /** Every gate evaluation of the version, oldest first. */
  async gateResults(name: string, version: number): Promise<GateEvaluation[]> {
    await this.#registry.show(name, checkVersion(version));
    return store.listGateResults(this.#db, name, version);
  }

  /**
   * The second, human approval a policy's `on_approve.deploy` entry with `human_approval` waits for:
   * a person (never the policy) approves deploying an approved version to `env`, under the policy's
   * approvers and four-eyes rules (and not the person who approved the version). Audited as `model.deploy.approve`.
   */
  async approveDeploy(
    name: string,
    version: number,
    env: string,
    options: DecisionOptions = {},
  ): Promise<DeployOutcome> {
    const checked = checkVersion(version);
    const ref = `${name}/${checked}`;
    return auditRefusals(
      this.#audit,
      { action: 'model.deploy.approve', target: { type: 'model_version', id: ref } },
      async () => {
        const comment = checkComment(options.comment);
        const caller = currentActor().actor;
        const state = await findVersionState(this.#db, name, checked);
        if (state?.status !== 'approved') {
          throw new InvalidStateError(
            `${ref} is ${state?.status ?? 'not registered'}; only an approved version is deployed`,
            {
              where: ref,
              hint: `Approve it first: \`ciclo models approve ${name} ${checked}\`.`,
            },
          );
        }
        const stored = await this.findPolicy(name);
        const entry = deployEntries(stored?.policy).find(
          (candidate) => candidate.env === env && candidate.human_approval,
        );
        if (stored === undefined || entry === undefined) {
          throw new InvalidInputError(
            `the policy of ${name} holds no deploy to ${env} that waits for a person's approval`,
            {
              where: 'env',
              hint: 'Deploy it with `ciclo deployments create`, or add the entry to on_approve.deploy.',
            },
          );
        }
        const roles = this.#access === undefined ? [] : await this.#access.rolesOn(caller, { kind: 'model', name });
        checkApprover(stored.policy, caller, roles, state.createdBy, ref, 'approved');
        const first = (await store.listApprovals(this.#db, name, checked)).at(-1);
        if (first !== undefined && !first.automatic && first.actor === caller) {
          throw new PermissionDeniedError(
            `'${caller}' approved ${ref} and cannot also approve deploying it to ${env}`,
            {
              where: ref,
              hint: 'A second person approves the deploy.',
            },
          );
        }
        await this.#db.transaction().execute(async (trx) => {
          await this.#audit.append(
            {
              actor: caller,
              action: 'model.deploy.approve',
              target: { type: 'model_version', id: ref },
              beforeDigest: digestOf(null),
              afterDigest: digestOf({ env, actor: caller, comment }),
              details: { env, comment },
            },
            trx,
          );
        });
        // Pinned, not following the alias: a later approval moving the alias must not reach this
        // environment without a person approving that version too.
        const [outcome] = await this.#runDeploys({
          name,
          version: checked,
          deploy: [{ ...entry, human_approval: false }],
        });
        return outcome!;
      },
    );
  }

  /** The policy's deploys after an approval: those a person must approve first are reported as waiting. */
  async #deployApproved(outcome: DecisionOutcome): Promise<DecisionOutcome> {
    const { name, version } = outcome.approval;
    const entries = deployEntries((await this.findPolicy(name))?.policy);
    if (entries.length === 0) return outcome;
    const now = entries.filter((entry) => !entry.human_approval);
    const waiting: DeployOutcome[] = entries
      .filter((entry) => entry.human_approval)
      .map((entry) => ({
        env: entry.env,
        deployment: entry.name ?? `${name}-${entry.env}`,
        action: 'awaiting-human-approval',
        message: `approve it with \`ciclo models approve-deploy ${name} ${version} --env ${entry.env}\``,
      }));
    const alias = outcome.alias?.alias;
    const done = await this.#runDeploys({ name, version, ...(alias ? { alias } : {}), deploy: now });
    return { ...outcome, deployments: [...done, ...waiting] };
  }

  async #runDeploys(approved: ApprovedVersion): Promise<DeployOutcome[]> {
    if (approved.deploy.length === 0) return [];
    if (this.#deploy === undefined) {
      return approved.deploy.map((entry) => ({
        env: entry.env,
        deployment: entry.name ?? `${approved.name}-${entry.env}`,
        action: 'failed',
        message: 'this process deploys nothing (no deploy hook): deploy it with `ciclo deployments create`',
      }));
    }
    return this.#deploy(approved);
  }

  async #decide(
    name: string,
    version: number,
    decision: Decision,
    options: DecisionOptions,
    automatic: boolean,
  ): Promise<DecisionOutcome> {
    const outcome = await this.#decideInTransaction(name, version, decision, options, automatic);
    return decision === 'approved' ? this.#deployApproved(outcome) : outcome;
  }

  async #decideInTransaction(
    name: string,
    version: number,
    decision: Decision,
    options: DecisionOptions,
    automatic: boolean,
  ): Promise<DecisionOutcome> {
    const comment = checkComment(options.comment);
    const ref = `${name}/${version}`;
    const caller = currentActor().actor;
    const actor = automatic ? `policy:${name}` : caller;
    const callerRoles =
      automatic || this.#access === undefined ? [] : await this.#access.rolesOn(caller, { kind: 'model', name });
    return this.#db.transaction().execute(async (trx) => {
      const state = await findVersionState(trx, name, version);
      if (state === undefined) {
        if (!(await modelExists(trx, name))) {
          throw new NotFoundError(`no registered model named '${name}'`, {
            where: ref,
            hint: 'List the models with `ciclo models list`.',
          });
        }
        throw new NotFoundError(`model '${name}' has no version ${version}`, {
          where: ref,
          hint: `List its versions with \`ciclo models show ${name}\`.`,
        });
      }
      if (state.status !== 'pending') {
        throw new InvalidStateError(`${ref} is already ${state.status}; only a pending version can be ${decision}`, {
          where: ref,
          hint: 'Register a new version to decide again.',
        });
      }
      // Read in this transaction, which has just found the version.
      if (decision === 'approved') requireVerifiedPackage((await findVersion(trx, name, version))!);
      const policyRow = await store.findPolicy(trx, name);
      const policy =
        policyRow === undefined ? undefined : parsePolicyYaml(policyRow.policy, `policy of ${name}`).policy;
      let gateResultId: string | null = null;
      if (policy !== undefined && !automatic)
        checkApprover(policy, caller, callerRoles, state.createdBy, ref, decision);
      if (policy !== undefined && decision === 'approved') {
        const latest = await store.latestGateResult(trx, name, version);
        checkGates(latest, policyRow!.digest, ref, automatic);
        gateResultId = latest!.id;
      }
      const now = this.#now();
      if ((await decideVersionStatus(trx, name, version, decision, now)) !== 1) {
        throw new InvalidStateError(`${ref} was decided meanwhile`, { where: ref });
      }
      const approval: ApprovalRecord = {
        name,
        version,
        decision,
        actor,
        comment,
        time: now,
        automatic,
        policyDigest: policyRow?.digest ?? null,
        gateResultId,
      };
      await store.insertApproval(trx, approval);
      let alias: DecisionOutcome['alias'];
      const onApprove = decision === 'approved' ? policy?.on_approve?.alias : undefined;
      if (onApprove !== undefined) {
        const previous = (await aliasVersion(trx, name, onApprove)) ?? null;
        await upsertAlias(trx, name, onApprove, version, now);
        alias = { alias: onApprove, previous };
      }
      await this.#audit.append(
        {
          actor,
          action: decision === 'approved' ? 'model.approve' : 'model.reject',
          target: { type: 'model_version', id: ref },
          beforeDigest: digestOf({ status: 'pending' }),
          afterDigest: digestOf({ status: decision, actor, comment }),
          details: {
            comment,
            automatic,
            policy_digest: approval.policyDigest,
            gate_result_id: gateResultId,
            ...(automatic ? { triggered_by: caller } : {}),
          },
        },
        trx,
      );
      if (alias !== undefined) {
        await this.#audit.append(
          {
            actor,
            action: 'model.alias.set',
            target: { type: 'model_alias', id: `${name}@${alias.alias}` },
            beforeDigest: digestOf(alias.previous),
            afterDigest: digestOf(version),
            details: { reason: 'on_approve' },
          },
          trx,
        );
      }
      return { approval, ...(alias === undefined ? {} : { alias }) };
    });
  }

  async #evidence(target: ModelVersion, policy: Policy): Promise<GateEvidence> {
    let champion: GateEvidence['champion'] = null;
    let championComparison: GateEvidence['championComparison'];
    if (policy.champion) {
      const number = await aliasVersion(this.#db, target.name, policy.champion.alias);
      if (number !== undefined)
        champion = { version: number, metrics: (await this.#registry.show(target.name, number)).metrics };
      if (number !== undefined && number !== target.version && policy.champion.on === 'evaluation_data') {
        championComparison = await this.#compareOnEvaluationData(target, number, policy.champion);
      }
    }
    const validation =
      policy.data_validation === 'required'
        ? await this.#validation(target)
        : { passed: true, observed: '', message: 'not required' };
    return {
      model: target.name,
      version: target.version,
      metrics: target.metrics,
      champion,
      ...(championComparison === undefined ? {} : { championComparison }),
      validation,
    };
  }

  /** Both versions scored on the candidate's evaluation rows; what went wrong becomes the gate's message. */
  async #compareOnEvaluationData(
    target: ModelVersion,
    champion: number,
    rule: NonNullable<Policy['champion']>,
  ): Promise<NonNullable<GateEvidence['championComparison']>> {
    if (this.#championEvaluator === undefined) return { error: 'this process cannot score models to compare them' };
    try {
      return await this.#championEvaluator({
        model: target.name,
        candidate: target.version,
        champion,
        metric: rule.metric,
        label: rule.label!,
      });
    } catch (error) {
      return { error: `comparing on the evaluation data failed: ${describeError(error)}` };
    }
  }

  /**
   * Data validation passed when the version's pipeline run has at least one `validate` step and the
   * latest attempt of every one SUCCEEDED (or was CACHED: the same data passed before).
   */
  async #validation(target: ModelVersion): Promise<GateEvidence['validation']> {
    const pipelineRun = target.lineage.pipeline_run;
    if (pipelineRun === null) {
      return {
        passed: false,
        observed: 'no pipeline run',
        message: 'the version was registered outside a pipeline: no validation is recorded',
      };
    }
    const steps = (await this.#pipelineRuns?.stepOutcomes(pipelineRun)) ?? [];
    const states = steps
      .filter((step) => step.kind === 'validate')
      .map((step) => ({ step: step.name, status: step.status }));
    if (states.length === 0) {
      return {
        passed: false,
        observed: 'no validate step',
        message: `pipeline run ${pipelineRun} has no validate step`,
      };
    }
    const failing = states.filter((s) => s.status !== 'SUCCEEDED' && s.status !== 'CACHED');
    const observed = states.map((s) => `${s.step}=${s.status}`).join(', ');
    return failing.length === 0
      ? {
          passed: true,
          observed,
          message: `every validate step of pipeline run ${pipelineRun} succeeded (${observed})`,
        }
      : {
          passed: false,
          observed,
          message:
            `validate step ${failing.map((s) => `${s.step} is ${s.status}`).join(', ')} ` +
            `in pipeline run ${pipelineRun}`,
        };
  }
}

/**
 * `approvers`: the caller is one of `users`, or holds (in the model's project or on `*`) a role at
 * or above one of `roles`; with neither listed, anyone the routes let decide may.
 */
function deployEntries(policy: Policy | undefined): DeployOnApprove[] {
  const deploy = policy?.on_approve?.deploy;
  if (deploy === undefined) return [];
  return Array.isArray(deploy) ? deploy : [deploy];
}

function checkApprover(
  policy: Policy,
  actor: string,
  callerRoles: readonly Role[],
  createdBy: string,
  ref: string,
  decision: Decision,
): void {
  const users = policy.approvers?.users ?? [];
  const roles = policy.approvers?.roles ?? [];
  const lowest = Math.min(...roles.map((role) => ROLES.indexOf(role)));
  const byUser = users.includes(actor);
  const byRole = roles.length > 0 && callerRoles.some((role) => ROLES.indexOf(role) >= lowest);
  if ((users.length > 0 || roles.length > 0) && !byUser && !byRole) {
    const allowed = [
      ...(users.length > 0 ? [`users ${users.join(', ')}`] : []),
      ...(roles.length > 0 ? [`roles ${roles.join(', ')} (or above)`] : []),
    ];
    throw new PermissionDeniedError(
      `approvers rule: '${actor}' may not decide on ${ref}; the policy allows ${allowed.join(' and ')}`,
      {
        where: ref,
        hint: 'Ask one of them, or change the policy with `ciclo models policy set`.',
      },
    );
  }
  if (decision === 'approved' && policy.four_eyes && actor === createdBy) {
    throw new PermissionDeniedError(`four_eyes rule: '${actor}' registered ${ref} and cannot also approve it`, {
      where: ref,
      hint: 'Another approver must approve it.',
    });
  }
}

function checkGates(latest: GateEvaluation | undefined, digest: string, ref: string, automatic: boolean): void {
  const hint = `Evaluate them with \`ciclo models gates ${ref.replace('/', ' ')}\`.`;
  if (latest === undefined) {
    throw new InvalidStateError(`gates rule: ${ref} has no gate results for its model's policy`, { where: ref, hint });
  }
  if (latest.policyDigest !== digest) {
    throw new InvalidStateError(
      `gates rule: the latest gate results of ${ref} are for another policy (${latest.policyDigest}) ` +
        `than the model's (${digest})`,
      {
        where: ref,
        hint,
      },
    );
  }
  if (!latest.passed) {
    const failed = latest.results.filter((result) => !result.passed).map((result) => result.gate);
    throw new InvalidStateError(
      `gates rule: ${ref} failed ${failed.join(', ')}${automatic ? '' : '; it can be rejected, not approved'}`,
      {
        where: ref,
        hint: 'Register a better version, or re-evaluate the gates once what they check has changed.',
      },
    );
  }
}

function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidInputError(`version must be a whole number from 1 (got ${version})`, { where: 'version' });
  }
  return version;
}

function checkComment(comment: string | undefined): string | null {
  if (comment === undefined || comment.trim() === '') return null;
  if (comment.length > MAX_COMMENT)
    throw new InvalidInputError(`comment: at most ${MAX_COMMENT} characters`, { where: 'comment' });
  return comment;
}
