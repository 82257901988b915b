import type { StoredPolicy } from '../governance/approvals/index.js';
import type { ProjectWithMembers } from '../governance/index.js';
import type { DeclaredPolicy, DeclaredProject } from './setup-file.js';
import { fieldChanges, type FieldChange } from './field-changes.js';

export type ResourceKind = 'project' | 'approval_policy';
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
  const byName = new Map(current.map((policy) => [policy.name, policy]));
  const changes: PlannedChange[] = [];
  for (const policy of declared) {
    const existing = byName.get(policy.name);
    const fields = fieldChanges(existing?.policy, policy.policy);
    if (existing === undefined) changes.push({ kind: 'approval_policy', name: policy.name, action: 'create', fields });
    else if (fields.length > 0) changes.push({ kind: 'approval_policy', name: policy.name, action: 'change', fields });
  }
  if (prune) {
    const names = new Set(declared.map((policy) => policy.name));
    for (const stored of current) {
      if (names.has(stored.name)) continue;
      changes.push({
        kind: 'approval_policy',
        name: stored.name,
        action: 'delete',
        fields: fieldChanges(stored.policy, undefined),
      });
    }
  }
  return changes;
}

export function countActions(changes: readonly PlannedChange[]): Record<ResourceAction, number> {
  const counts = { create: 0, change: 0, delete: 0 };
  for (const change of changes) counts[change.action] += 1;
  return counts;
}
