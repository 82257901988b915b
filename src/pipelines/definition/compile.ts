import { InvalidInputError } from '../../common/errors.js';
import {
  definitionError,
  problemFromZod,
  zodMessages,
  type DefinitionProblem,
  type FieldPath,
  type SourceMap,
} from './definition-error.js';
import { PipelineSchema, type ParamSpec, type PipelineDefinition, type StepDefinition } from './definition.js';
import { findCycle, stepDependencies } from './graph.js';
import { paramTypeMismatch } from './params.js';
import type { StepKindRegistry } from './step-kinds.js';
import { findTemplates } from './templates.js';
import { validateTriggers } from './trigger-checks.js';

export interface CompileOptions {
  registry: StepKindRegistry;
  /** Where the raw definition was written, so errors can say `file:line:col`. */
  source?: SourceMap;
}

type Problem = DefinitionProblem | undefined;

/**
 * Validates a raw pipeline (parsed YAML, or the DSL's object) into the one definition type, or
 * throws an InvalidInputError for the first problem: its field path, its position when there is a
 * source, and how to fix it. Nothing about a pipeline is checked later that could be checked here.
 */
export function compilePipeline(raw: unknown, options: CompileOptions): PipelineDefinition {
  const parsed = PipelineSchema.safeParse(raw, { error: zodMessages });
  if (!parsed.success) throw definitionError(problemFromZod(parsed.error.issues[0]!), options.source);
  const steps = parsed.data.steps.map((step, index) => withKindConfig(step, ['steps', index], options));
  const definition = { ...parsed.data, steps };
  const problem = findProblem(definition);
  if (problem) throw definitionError(problem, options.source);
  return definition;
}

function withKindConfig(step: StepDefinition, at: FieldPath, options: CompileOptions): StepDefinition {
  let kind;
  try {
    kind = options.registry.get(step.kind);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    const problem = { path: [...at, 'kind'], message: error.message, hint: error.details.hint };
    throw definitionError(problem, options.source);
  }
  const config = kind.configSchema.safeParse(step.config, { error: zodMessages });
  if (!config.success) throw definitionError(problemFromZod(config.error.issues[0]!, at), options.source);
  return { ...step, config: config.data };
}

function findProblem(definition: PipelineDefinition): Problem {
  return (
    duplicateStep(definition) ??
    definition.steps.map((step, index) => stepProblem(definition, step, ['steps', index])).find(Boolean) ??
    paramDefaultProblem(definition.params) ??
    environmentProblem(definition) ??
    cycleProblem(definition) ??
    validateTriggers(definition)[0]
  );
}

function duplicateStep(definition: PipelineDefinition): Problem {
  const firstIndex = new Map<string, number>();
  for (const [index, step] of definition.steps.entries()) {
    const first = firstIndex.get(step.name);
    if (first !== undefined) {
      return {
        path: ['steps', index, 'name'],
        message: `duplicate step name "${step.name}"; steps[${first}] already has it`,
        hint: 'give every step a unique name',
      };
    }
    firstIndex.set(step.name, index);
  }
  return undefined;
}

function stepProblem(definition: PipelineDefinition, step: StepDefinition, at: FieldPath): Problem {
  return (
    inputProblem(definition, step, at) ??
    dependencyProblem(definition, step, at) ??
    templateProblem(definition, step, at)
  );
}

function inputProblem(definition: PipelineDefinition, step: StepDefinition, at: FieldPath): Problem {
  for (const [input, reference] of Object.entries(step.inputs)) {
    const path = [...at, 'inputs', input];
    if (reference.from === 'param') {
      if (!Object.hasOwn(definition.params, reference.param)) return unknownParam(definition, reference.param, path);
      continue;
    }
    // Whether the dataset exists is known only to a store: it is checked (and pinned) when a run starts.
    if (reference.from === 'dataset') continue;
    const producer = definition.steps.find((candidate) => candidate.name === reference.step);
    if (!producer) return unknownStep(definition, reference.step, path);
    if (!Object.hasOwn(producer.outputs, reference.output)) {
      const declared = Object.keys(producer.outputs);
      return {
        path,
        message: `step "${producer.name}" has no output "${reference.output}"`,
        hint:
          declared.length > 0
            ? `its outputs: ${declared.join(', ')}`
            : `declare it under outputs of step "${producer.name}"`,
      };
    }
  }
  return undefined;
}

function dependencyProblem(definition: PipelineDefinition, step: StepDefinition, at: FieldPath): Problem {
  for (const dependency of stepDependencies(step)) {
    if (!definition.steps.some((candidate) => candidate.name === dependency.on)) {
      return unknownStep(definition, dependency.on, [...at, ...dependency.path]);
    }
  }
  return undefined;
}

function templateProblem(definition: PipelineDefinition, step: StepDefinition, at: FieldPath): Problem {
  // The kind's fields are authored flat on the step, so their paths do not include `config`.
  const uses = [
    ...findTemplates(step.config, at),
    ...findTemplates(step.params, [...at, 'params']),
    ...findTemplates(step.env, [...at, 'env']),
  ];
  for (const use of uses) {
    if (use.root === 'params') {
      if (!Object.hasOwn(definition.params, use.name)) return unknownParam(definition, use.name, use.path);
      continue;
    }
    const declared = Object.keys(use.root === 'inputs' ? step.inputs : step.outputs);
    if (!declared.includes(use.name)) {
      return {
        path: use.path,
        message: `${use.text} names no ${use.root === 'inputs' ? 'input' : 'output'} of step "${step.name}"`,
        hint:
          declared.length > 0 ? `its ${use.root}: ${declared.join(', ')}` : `declare it under ${use.root} of the step`,
      };
    }
  }
  return undefined;
}

function paramDefaultProblem(params: Record<string, ParamSpec>): Problem {
  for (const [name, spec] of Object.entries(params)) {
    if (spec.default === undefined) continue;
    const mismatch = paramTypeMismatch(spec.type, spec.default);
    if (mismatch) return { path: ['params', name, 'default'], message: mismatch, hint: declaredAs(name, spec) };
  }
  return undefined;
}

function environmentProblem(definition: PipelineDefinition): Problem {
  for (const [environment, overlay] of Object.entries(definition.environments)) {
    for (const [name, value] of Object.entries(overlay.params ?? {})) {
      const path = ['environments', environment, 'params', name];
      if (!Object.hasOwn(definition.params, name)) return unknownParam(definition, name, path);
      const spec = definition.params[name]!;
      const mismatch = paramTypeMismatch(spec.type, value);
      if (mismatch) return { path, message: mismatch, hint: declaredAs(name, spec) };
    }
  }
  return undefined;
}

function cycleProblem(definition: PipelineDefinition): Problem {
  const cycle = findCycle(definition);
  if (!cycle) return undefined;
  return {
    path: ['steps', cycle.closedAt.stepIndex, ...cycle.closedAt.dependency.path],
    message: `steps depend on each other in a cycle: ${cycle.steps.join(' → ')}`,
    hint: 'remove one of these dependencies (inputs or dependsOn)',
  };
}

function unknownStep(definition: PipelineDefinition, name: string, path: FieldPath): DefinitionProblem {
  return {
    path,
    message: `unknown step "${name}"`,
    hint: `steps in this pipeline: ${definition.steps.map((step) => step.name).join(', ')}`,
  };
}

function unknownParam(definition: PipelineDefinition, name: string, path: FieldPath): DefinitionProblem {
  const declared = Object.keys(definition.params);
  return {
    path,
    message: `unknown param "${name}"`,
    hint: declared.length > 0 ? `declared params: ${declared.join(', ')}` : "declare it under the pipeline's params",
  };
}

function declaredAs(name: string, spec: ParamSpec): string {
  return `param "${name}" is declared as ${spec.type}`;
}
