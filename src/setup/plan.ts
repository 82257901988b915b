import type { StoredPolicy } from '../governance/approvals/index.js';
import type { ProjectWithMembers } from '../governance/index.js';
import type { Monitor } from '../monitoring/index.js';
import type { Deployment } from '../serving/index.js';
import type { DeclaredDeployment, DeclaredMonitor, DeclaredPolicy, DeclaredProject } from './setup-file.js';
import { fieldChanges, type FieldChange } from './field-changes.js';

export type ResourceKind = 'project' | 'approval_policy' | 'deployment' | 'monitor';
export type ResourceAction = 'create' | 'change' | 'delete';

/** One resource `ciclo apply` would create, change or delete, with the fields that differ. */
export interface PlannedChange {
  kind: ResourceKind;
  name: string;
  action: ResourceAction;
  fields: FieldChange[];
}

export interface SetupPlan {
  file: string;
  prune: boolean;
  changes: PlannedChange[];
  counts: Record<ResourceAction, number>;
}

/**
 * Projects: only what the file says is compared. A description the file leaves out is not managed; a member it
 * does not list keeps its role unless --prune. Projects themselves are never deleted, pruned or not: runs,
 * models and datasets live in them.
 */
export function planProjects(
  declared: readonly DeclaredProject[],
  current: readonly ProjectWithMembers[],
  prune: boolean,
): PlannedChange[] {
  const byName = new Map(current.map((project) => [project.name, project]));
  const changes: PlannedChange[] = [];
  for (const project of declared) {
    const after = { description: project.description, members: project.members };
    const existing = byName.get(project.name);
    if (existing === undefined) {
      changes.push({ kind: 'project', name: project.name, action: 'create', fields: fieldChanges(undefined, after) });
      continue;
    }
    const before = { description: existing.description, members: existing.members };
    const fields = fieldChanges(before, after, (field) => prune && field.startsWith('members.'));
    if (fields.length > 0) changes.push({ kind: 'project', name: project.name, action: 'change', fields });
  }
  return changes;
}

/** Approval policies: each declared one replaces the stored one whole; with --prune, one not declared is deleted. */
export function planPolicies(
  declared: readonly DeclaredPolicy[],
  current: readonly StoredPolicy[],
  prune: boolean,
): PlannedChange[] {
  return planWhole(
    'approval_policy',
    declared.map((policy) => ({ name: policy.name, value: policy.policy })),
    current.map((policy) => ({ name: policy.name, value: policy.policy })),
    prune,
  );
}

/** Monitors, alert rules included: as policies, compared by their parsed definitions (defaults filled in). */
export function planMonitors(
  declared: readonly DeclaredMonitor[],
  current: readonly Monitor[],
  prune: boolean,
): PlannedChange[] {
  return planWhole(
    'monitor',
    declared.map((monitor) => ({ name: monitor.name, value: monitor.monitor })),
    current.map((monitor) => ({ name: monitor.name, value: monitor.parsed })),
    prune,
  );
}

/**
 * Deployments: what `create` takes, compared with the stored record in the same terms. What serves and its state
 * are the supervisor's, not the file's, and are not compared.
 */
export function planDeployments(
  declared: readonly DeclaredDeployment[],
  current: readonly Deployment[],
  prune: boolean,
): PlannedChange[] {
  return planWhole(
    'deployment',
    declared.map(({ name, request: { name: _name, runtime, ...fields } }) => ({
      name,
      value: { ...fields, runtime: runtime ?? null },
    })),
    current.map((deployment) => ({ name: deployment.name, value: declaredFieldsOf(deployment) })),
    prune,
  );
}

function declaredFieldsOf(deployment: Deployment) {
  return {
    model: deployment.model,
    environment: deployment.environment,
    runtime: deployment.runtime,
    replicas: deployment.replicas,
    strategy: deployment.strategy,
    capture_rate: deployment.captureRate,
  };
}

/** A kind whose resources the file declares whole: created, changed field by field, or (pruned) deleted. */
function planWhole(
  kind: ResourceKind,
  declared: readonly { name: string; value: unknown }[],
  current: readonly { name: string; value: unknown }[],
  prune: boolean,
): PlannedChange[] {
  const byName = new Map(current.map((resource) => [resource.name, resource.value]));
  const changes: PlannedChange[] = [];
  for (const { name, value } of declared) {
    const fields = fieldChanges(byName.get(name), value);
    if (!byName.has(name)) changes.push({ kind, name, action: 'create', fields });
    else if (fields.length > 0) changes.push({ kind, name, action: 'change', fields });
  }
  if (prune) {
    const names = new Set(declared.map((resource) => resource.name));
    for (const { name, value } of current) {
      if (!names.has(name)) changes.push({ kind, name, action: 'delete', fields: fieldChanges(value, undefined) });
    }
  }
  return changes;
}

export function countActions(changes: readonly PlannedChange[]): Record<ResourceAction, number> {
  const counts = { create: 0, change: 0, delete: 0 };
  for (const change of changes) counts[change.action] += 1;
  return counts;
}
