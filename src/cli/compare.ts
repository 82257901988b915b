import type { Run } from '../sdk/index.js';

/** Each key's value per run id; null where a run lacks the key. */
export type ValuesByRun<V> = Record<string, Record<string, V | null>>;

export interface RunComparison {
  params: ValuesByRun<string>;
  metrics: ValuesByRun<number>;
  /** `params.<key>` and `metrics.<key>` whose values are not all the same. */
  differing: string[];
}

export function compareRuns(runs: readonly Run[]): RunComparison {
  const params = collect(runs, (run) => Object.entries(run.data.params));
  const metrics = collect(runs, (run) => run.data.metrics.map((m): [string, number] => [m.key, m.value]));
  const differing = [
    ...Object.keys(params)
      .filter((key) => !allSame(params[key]!))
      .map((key) => `params.${key}`),
    ...Object.keys(metrics)
      .filter((key) => !allSame(metrics[key]!))
      .map((key) => `metrics.${key}`),
  ];
  return { params, metrics, differing };
}

function collect<V>(runs: readonly Run[], entries: (run: Run) => [string, V][]): ValuesByRun<V> {
  const keys = [...new Set(runs.flatMap((run) => entries(run).map(([key]) => key)))].sort();
  const byKey: ValuesByRun<V> = {};
  for (const key of keys) byKey[key] = {};
  for (const run of runs) {
    const values = new Map(entries(run));
    for (const key of keys) byKey[key]![run.info.runId] = values.has(key) ? values.get(key)! : null;
  }
  return byKey;
}

/** Object.is, so NaN equals NaN: two runs that both diverged do not differ in that. */
function allSame<V>(values: Record<string, V | null>): boolean {
  const [first, ...rest] = Object.values(values);
  return rest.every((value) => Object.is(value, first));
}
