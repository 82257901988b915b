import { definePipeline, type PipelineDefinition, type StepInput } from '../../src/pipelines/index.js';

/** The no-op both sides run: `/bin/true`, started without a shell. */
export const NOOP = ['true'];

export const CHAIN_STEPS = 100;
export const WIDE_STEPS = 1000;
export const WIDE_PARALLELISM = 2;

function noop(name: string, dependsOn: string[] = []): StepInput {
  return { name, kind: 'command', command: NOOP, dependsOn };
}

const stepName = (i: number) => `s${String(i).padStart(4, '0')}`;

/** s0000 → s0001 → … → s0099, each waiting for the one before through `dependsOn`. */
export function chainPipeline(name: string, steps = CHAIN_STEPS): PipelineDefinition {
  return definePipeline({
    name,
    parallelism: 1,
    steps: Array.from({ length: steps }, (_, i) => noop(stepName(i), i === 0 ? [] : [stepName(i - 1)])),
  });
}

/** One root, `steps - 2` independent middles that depend on it, one sink that depends on every middle. */
export function widePipeline(name: string, steps = WIDE_STEPS, parallelism = WIDE_PARALLELISM): PipelineDefinition {
  const middles = Array.from({ length: steps - 2 }, (_, i) => stepName(i + 1));
  return definePipeline({
    name,
    parallelism,
    steps: [noop('root'), ...middles.map((middle) => noop(middle, ['root'])), noop('sink', middles)],
  });
}
