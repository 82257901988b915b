import { Cron } from 'croner';
import type { FieldPath } from './definition-error.js';
import type { PipelineDefinition } from './definition.js';
import { paramTypeMismatch } from './params.js';
import { cronOptions, type TriggerSpec } from './triggers.js';

/**
 * One thing wrong with a pipeline's triggers. Same shape as the compiler's DefinitionProblem, so
 * `definitionError(issue, source)` turns it into an InvalidInputError with `file:line:col`.
 */
export interface TriggerIssue {
  path: FieldPath;
  message: string;
  hint?: string;
}

/**
 * What can be known about the triggers before the server runs them: unique names, params the
 * pipeline declares (with values of the declared type, and every param without a default given a
 * value), environments that exist, cron patterns and time zones croner accepts, alert triggers that name a
 * monitor or a rule. Everything found,
 * in order; the schema (triggers.ts) has already checked each entry's own fields.
 */
export function validateTriggers(definition: PipelineDefinition): TriggerIssue[] {
  const issues: TriggerIssue[] = [];
  const firstIndex = new Map<string, number>();
  for (const [index, trigger] of definition.triggers.entries()) {
    const at: FieldPath = ['triggers', index];
    const first = firstIndex.get(trigger.name);
    if (first === undefined) firstIndex.set(trigger.name, index);
    else {
      issues.push({
        path: [...at, 'name'],
        message: `duplicate trigger name "${trigger.name}"; triggers[${first}] already has it`,
        hint: 'give every trigger of a pipeline a unique name',
      });
    }
    issues.push(...paramIssues(definition, trigger, at), ...environmentIssues(definition, trigger, at));
    if (trigger.type === 'cron') issues.push(...cronIssues(trigger, at));
    if (trigger.type === 'alert' && trigger.monitor === undefined && trigger.rule === undefined) {
      issues.push({
        path: [...at, 'monitor'],
        message: 'an alert trigger names the monitor or the rule (or both) whose alerts start the pipeline',
        hint: 'add monitor: NAME (every rule of that monitor) or rule: NAME',
      });
    }
  }
  return issues;
}

function paramIssues(definition: PipelineDefinition, trigger: TriggerSpec, at: FieldPath): TriggerIssue[] {
  const issues: TriggerIssue[] = [];
  const declared = Object.keys(definition.params);
  for (const [name, value] of Object.entries(trigger.params)) {
    const spec = definition.params[name];
    if (!spec) {
      issues.push({
        path: [...at, 'params', name],
        message: `unknown param "${name}"`,
        hint:
          declared.length > 0 ? `declared params: ${declared.join(', ')}` : "declare it under the pipeline's params",
      });
      continue;
    }
    const mismatch = paramTypeMismatch(spec.type, value);
    if (mismatch)
      issues.push({
        path: [...at, 'params', name],
        message: mismatch,
        hint: `param "${name}" is declared as ${spec.type}`,
      });
  }
  const overlay = trigger.env === undefined ? {} : (definition.environments[trigger.env]?.params ?? {});
  for (const [name, spec] of Object.entries(definition.params)) {
    if (spec.default !== undefined || Object.hasOwn(trigger.params, name) || Object.hasOwn(overlay, name)) continue;
    issues.push({
      path: [...at, 'params'],
      message: `param "${name}" has no default and this trigger gives it no value`,
      hint: `set params.${name} on the trigger, or give the param a default`,
    });
  }
  return issues;
}

function environmentIssues(definition: PipelineDefinition, trigger: TriggerSpec, at: FieldPath): TriggerIssue[] {
  if (trigger.env === undefined || Object.hasOwn(definition.environments, trigger.env)) return [];
  const declared = Object.keys(definition.environments);
  return [
    {
      path: [...at, 'env'],
      message: `unknown environment "${trigger.env}"`,
      hint:
        declared.length > 0
          ? `declared environments: ${declared.join(', ')}`
          : "declare it under the pipeline's environments",
    },
  ];
}

function cronIssues(trigger: Extract<TriggerSpec, { type: 'cron' }>, at: FieldPath): TriggerIssue[] {
  const issues: TriggerIssue[] = [];
  if (trigger.timezone !== undefined && !isTimeZone(trigger.timezone)) {
    issues.push({
      path: [...at, 'timezone'],
      message: `unknown time zone "${trigger.timezone}"`,
      hint: 'write an IANA time zone such as Europe/Lisbon, America/New_York or UTC',
    });
  }
  try {
    // Checked without the zone: a bad zone is reported above, and croner would blame it on the pattern.
    new Cron(trigger.schedule, { paused: true, ...cronOptions({}) }).stop();
  } catch (error) {
    issues.push({
      path: [...at, 'schedule'],
      message: `invalid cron schedule "${trigger.schedule}": ${(error as Error).message}`,
      hint: 'five fields (minute hour day month weekday) or six with seconds first, e.g. "0 6 * * 1-5"',
    });
  }
  return issues;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
