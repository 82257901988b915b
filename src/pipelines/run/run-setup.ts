import { InvalidInputError } from '../../common/errors.js';
import type { ParamValue, PipelineDefinition } from '../definition/definition.js';
import { paramTypeMismatch } from '../definition/params.js';

/** What `start` does to a definition before recording it: the environment overlay and the params. */

/** The definition with `environments[name]` laid over it: its params' defaults, parallelism and env. */
export function withEnvironment(definition: PipelineDefinition, name: string | undefined): PipelineDefinition {
  if (name === undefined) return definition;
  const overlay = definition.environments[name];
  if (!overlay) {
    const known = Object.keys(definition.environments);
    throw new InvalidInputError(`pipeline "${definition.name}" has no environment "${name}"`, {
      where: 'env',
      hint: known.length > 0 ? `its environments: ${known.join(', ')}` : 'the pipeline declares no environments',
    });
  }
  const params = { ...definition.params };
  for (const [param, value] of Object.entries(overlay.params ?? {})) {
    if (params[param]) params[param] = { ...params[param], default: value };
  }
  return {
    ...definition,
    params,
    ...(overlay.executor === undefined ? {} : { executor: overlay.executor }),
    ...(overlay.parallelism === undefined ? {} : { parallelism: overlay.parallelism }),
    steps: definition.steps.map((step) => ({
      ...step,
      env: { ...targetVariables(overlay.targets), ...overlay.env, ...step.env },
    })),
  };
}

/** Defaults overlaid by the given values; every declared param must end up with a value of its type. */
export function resolveParams(
  definition: PipelineDefinition,
  given: Record<string, ParamValue>,
): Record<string, ParamValue> {
  const resolved: Record<string, ParamValue> = {};
  for (const name of Object.keys(given)) {
    if (!definition.params[name]) {
      throw new InvalidInputError(`pipeline "${definition.name}" has no param "${name}"`, { where: `params.${name}` });
    }
  }
  for (const [name, spec] of Object.entries(definition.params)) {
    const value = given[name] ?? spec.default;
    if (value === undefined) {
      throw new InvalidInputError(`param "${name}" has no default and no value was given`, { where: `params.${name}` });
    }
    const mismatch = paramTypeMismatch(spec.type, value);
    if (mismatch) throw new InvalidInputError(`param "${name}": ${mismatch}`, { where: `params.${name}` });
    resolved[name] = value;
  }
  return resolved;
}

function targetVariables(targets: Record<string, string> | undefined): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, target] of Object.entries(targets ?? {})) {
    variables[`CICLO_TARGET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = target;
  }
  return variables;
}
