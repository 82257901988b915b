import type { FieldChange } from './field-changes.js';
import type { PlannedChange, ResourceAction, SetupPlan } from './plan.js';

const SIGN: Record<ResourceAction, string> = { create: '+', change: '~', delete: '-' };

/** The plan as `terraform plan` shows one: a line per resource, a line per field, then the counts. */
export function renderPlan(plan: SetupPlan, verb: 'plan' | 'apply'): string {
  if (plan.changes.length === 0) return `${plan.file} matches the store: nothing to change.`;
  const lines = plan.changes.flatMap(renderChange);
  const { create, change, delete: remove } = plan.counts;
  const done = verb === 'apply' ? 'Applied' : 'Plan';
  lines.push('', `${done}: ${create} to create, ${change} to change, ${remove} to delete.`);
  if (!plan.prune && verb === 'plan') lines.push('What the store has and the file does not is left alone (--prune).');
  return lines.join('\n');
}

function renderChange(change: PlannedChange): string[] {
  return [`${SIGN[change.action]} ${change.kind} ${change.name}`, ...change.fields.map(renderField), ''];
}

function renderField(field: FieldChange): string {
  if (field.before === undefined) return `    + ${field.field}: ${shown(field.after)}`;
  if (field.after === undefined) return `    - ${field.field}: ${shown(field.before)}`;
  return `    ~ ${field.field}: ${shown(field.before)} → ${shown(field.after)}`;
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
