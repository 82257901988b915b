import { InvalidInputError, NotFoundError } from '../common/errors.js';
import type { ApprovalService } from '../governance/approvals/index.js';
import type { AccessControl, ProjectChange, Role } from '../governance/index.js';
import type { MonitorService } from '../monitoring/index.js';
import { parseModelReference, type RegistryService } from '../registry/index.js';
import type { DeploymentService } from '../serving/index.js';
import {
  countActions,
  planDeployments,
  planMonitors,
  planPolicies,
  planProjects,
  type PlannedChange,
  type SetupPlan,
} from './plan.js';
import { loadSetupFile, type DeclaredSetup } from './setup-file.js';

export interface SetupDeps {
  access: AccessControl;
  approvals: ApprovalService;
  registry: RegistryService;
  monitors: MonitorService;
  deployments: DeploymentService;
}

export interface PlanOptions {
  /** Delete (or revoke) what the store has and the file does not declare. */
  prune?: boolean;
}

/**
 * `ciclo plan` and `ciclo apply` over a ciclo.yaml. The file is read and every name it refers to checked (users,
 * models) before anything is compared, so a typo is an error at its `file:line:col`, not a half-applied file.
 * Each kind is applied by the capability that owns its tables, in one transaction, and recorded in the audit chain
 * as its own command records it; kinds are applied one after another, so applying again after a failure
 * finishes the rest (applying twice changes nothing).
 */
export class SetupService {
  readonly #deps: SetupDeps;

  constructor(deps: SetupDeps) {
    this.#deps = deps;
  }

  async plan(file: string, options: PlanOptions = {}): Promise<SetupPlan> {
    return (await this.#prepare(file, options)).plan;
  }

  /** Makes the store match the file and answers the plan it carried out. */
  async apply(file: string, options: PlanOptions = {}): Promise<SetupPlan> {
    const { declared, plan } = await this.#prepare(file, options);
    const projects = plan.changes.filter((change) => change.kind === 'project');
    if (projects.length > 0) await this.#deps.access.applyProjectChanges(projects.map(toProjectChange));
    const policies = plan.changes.filter((change) => change.kind === 'approval_policy');
    if (policies.length > 0) {
      const byName = new Map(declared.policies.map((policy) => [policy.name, policy]));
      await this.#deps.approvals.applyPolicyChanges({
        set: policies
          .filter((change) => change.action !== 'delete')
          .map((change) => {
            const policy = byName.get(change.name)!;
            return { name: policy.name, text: policy.text, fileName: policy.fileName };
          }),
        remove: policies.filter((change) => change.action === 'delete').map((change) => change.name),
      });
    }
    const deployments = plan.changes.filter((change) => change.kind === 'deployment');
    if (deployments.length > 0) {
      const byName = new Map(declared.deployments.map((deployment) => [deployment.name, deployment.request]));
      const declaredAs = (action: string) =>
        deployments.filter((change) => change.action === action).map((change) => byName.get(change.name)!);
      await this.#deps.deployments.applyDeploymentChanges({
        create: declaredAs('create'),
        change: declaredAs('change'),
        remove: deployments.filter((change) => change.action === 'delete').map((change) => change.name),
      });
    }
    // After deployments: a monitor watches one.
    const monitors = plan.changes.filter((change) => change.kind === 'monitor');
    if (monitors.length > 0) {
      const byName = new Map(declared.monitors.map((monitor) => [monitor.name, monitor]));
      await this.#deps.monitors.applyMonitorChanges({
        set: monitors.filter((change) => change.action !== 'delete').map((change) => byName.get(change.name)!),
        remove: monitors.filter((change) => change.action === 'delete').map((change) => change.name),
      });
    }
    return plan;
  }

  async #prepare(file: string, options: PlanOptions): Promise<{ declared: DeclaredSetup; plan: SetupPlan }> {
    const declared = await loadSetupFile(file);
    await this.#checkReferences(declared);
    return { declared, plan: await this.#compare(declared, options.prune ?? false) };
  }

  async #compare(declared: DeclaredSetup, prune: boolean): Promise<SetupPlan> {
    const [projects, policies, deployments, monitors] = await Promise.all([
      this.#deps.access.projectsWithMembers(),
      this.#deps.approvals.listPolicies(),
      this.#deps.deployments.list(),
      this.#deps.monitors.list(),
    ]);
    // A kind is pruned only when the file has its section: a file that declares monitors alone cannot delete
    // every deployment by leaving them out.
    const pruned = (section: string) => prune && declared.sections.has(section);
    const changes = [
      ...planProjects(declared.projects, projects, pruned('projects')),
      ...planPolicies(declared.policies, policies, pruned('approval_policies')),
      ...planDeployments(declared.deployments, deployments, pruned('deployments')),
      ...planMonitors(declared.monitors, monitors, pruned('monitors')),
    ];
    return { file: declared.file, prune, changes, counts: countActions(changes) };
  }

  async #checkReferences(declared: DeclaredSetup): Promise<void> {
    for (const project of declared.projects) {
      for (const user of Object.keys(project.members)) {
        await pointAt(project.memberAt(user), () => this.#deps.access.getUser(user));
      }
    }
    for (const policy of declared.policies) {
      await pointAt(policy.nameAt, () => this.#deps.registry.getModel(policy.name));
    }
    const stored = new Map((await this.#deps.deployments.list()).map((deployment) => [deployment.name, deployment]));
    for (const deployment of declared.deployments) {
      await pointAt(deployment.modelAt, () => this.#deps.registry.resolve(deployment.request.model));
      const servedModel = stored.get(deployment.name)?.modelName;
      const model = parseModelReference(deployment.request.model).name;
      if (servedModel !== undefined && servedModel !== model) {
        throw new InvalidInputError(`deployments.${deployment.name}: it serves ${servedModel}, not ${model}`, {
          where: deployment.modelAt,
          hint: 'A deployment serves one model: give the other model a deployment of its own.',
        });
      }
    }
    const declaredDeployments = new Set(declared.deployments.map((deployment) => deployment.name));
    for (const monitor of declared.monitors) {
      // A deployment the same file declares is there by the time monitors are applied.
      if (declaredDeployments.has(monitor.monitor.deployment)) continue;
      await pointAt(monitor.deploymentAt, () => this.#deps.deployments.show(monitor.monitor.deployment));
    }
  }
}

/** A missing user or model, said at the line of ciclo.yaml that names it. */
async function pointAt(where: string, lookup: () => Promise<unknown>): Promise<void> {
  try {
    await lookup();
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new NotFoundError(error.message, { where, hint: error.details.hint ?? 'Create it first, or fix the name.' });
  }
}

/** `members.alice` → `alice`: the user is the rest of the path, dots and all. */
function memberOf(field: string): string {
  return field.slice('members.'.length);
}

/** A planned project change in the terms of `AccessControl.applyProjectChanges`. */
function toProjectChange(change: PlannedChange): ProjectChange {
  const after = (field: string) => change.fields.find((candidate) => candidate.field === field)?.after;
  const members = change.fields.filter((field) => field.field.startsWith('members.'));
  const description = after('description') as string | undefined;
  return {
    project: change.name,
    ...(change.action === 'create'
      ? { create: { description: description ?? null } }
      : description === undefined
        ? {}
        : { description }),
    grants: members
      .filter((field) => field.after !== undefined)
      .map((field) => ({ user: memberOf(field.field), role: field.after as Role })),
    revokes: members.filter((field) => field.after === undefined).map((field) => memberOf(field.field)),
  };
}
