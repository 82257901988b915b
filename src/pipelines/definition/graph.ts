import type { FieldPath } from './definition-error.js';
import type { PipelineDefinition, StepDefinition } from './definition.js';

/** A step waits for `on`: because it reads one of its outputs, or because it says so in `dependsOn`. */
export interface Dependency {
  on: string;
  /** Where the dependency is declared, relative to the step. */
  path: FieldPath;
}

export function stepDependencies(step: StepDefinition): Dependency[] {
  const fromInputs = Object.entries(step.inputs).flatMap(([input, reference]) =>
    reference.from === 'step' ? [{ on: reference.step, path: ['inputs', input] }] : [],
  );
  const fromOrdering = step.dependsOn.map((on, index) => ({ on, path: ['dependsOn', index] }));
  return [...fromInputs, ...fromOrdering];
}

export interface Cycle {
  /** Step names around the cycle, the first repeated at the end: `a → b → a` is ['a', 'b', 'a']. */
  steps: string[];
  /** The step index and dependency that close the cycle, to point the author at. */
  closedAt: { stepIndex: number; dependency: Dependency };
}

/** The first cycle in declaration order, or undefined. Assumes every dependency names a step. */
export function findCycle(definition: PipelineDefinition): Cycle | undefined {
  const indexOf = new Map(definition.steps.map((step, index) => [step.name, index]));
  const state = new Map<string, 'visiting' | 'done'>();
  const trail: string[] = [];

  const visit = (index: number): Cycle | undefined => {
    const step = definition.steps[index]!;
    state.set(step.name, 'visiting');
    trail.push(step.name);
    for (const dependency of stepDependencies(step)) {
      const seen = state.get(dependency.on);
      if (seen === 'visiting') {
        const steps = [...trail.slice(trail.indexOf(dependency.on)), dependency.on];
        return { steps, closedAt: { stepIndex: index, dependency } };
      }
      if (seen === undefined) {
        const found = visit(indexOf.get(dependency.on)!);
        if (found) return found;
      }
    }
    trail.pop();
    state.set(step.name, 'done');
    return undefined;
  };

  for (const [index, step] of definition.steps.entries()) {
    if (state.has(step.name)) continue;
    const found = visit(index);
    if (found) return found;
  }
  return undefined;
}

/**
 * Steps in an order where each comes after everything it depends on. Among steps that are ready
 * together, declaration order wins, so the order is stable and reads like the file.
 */
export function topologicalOrder(definition: PipelineDefinition): StepDefinition[] {
  const waitingOn = new Map(definition.steps.map((step) => [step.name, stepDependencies(step).map((d) => d.on)]));
  const order: StepDefinition[] = [];
  const placed = new Set<string>();
  while (order.length < definition.steps.length) {
    const next = definition.steps.find(
      (step) => !placed.has(step.name) && waitingOn.get(step.name)!.every((on) => placed.has(on)),
    );
    if (!next) throw new Error(`pipeline "${definition.name}" has a cycle; compilePipeline refuses such definitions`);
    order.push(next);
    placed.add(next.name);
  }
  return order;
}
