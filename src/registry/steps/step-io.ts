import type { Kysely } from 'kysely';
import type { Schema } from '../../store/index.js';

/**
 * The upstream step each input of `stepName` comes from (`steps.NAME.outputs.X`), read from the
 * pipeline run's compiled definition; inputs from params or datasets are left out.
 */
export async function upstreamSteps(db: Kysely<Schema>, pipelineRunId: string, stepName: string): Promise<Record<string, string>> {
  const row = await db.selectFrom('pipeline_runs').select('definition').where('id', '=', pipelineRunId).executeTakeFirst();
  if (row === undefined) return {};
  const definition = JSON.parse(row.definition) as { steps: { name: string; inputs: Record<string, unknown> }[] };
  const step = definition.steps.find((s) => s.name === stepName);
  const upstream: Record<string, string> = {};
  for (const [input, reference] of Object.entries(step?.inputs ?? {})) {
    const from = typeof reference === 'string' ? /^steps\.([^.]+)\.outputs\./.exec(reference)?.[1] : stepOf(reference);
    if (from !== undefined) upstream[input] = from;
  }
  return upstream;
}

function stepOf(reference: unknown): string | undefined {
  const ref = reference as { from?: unknown; step?: unknown };
  return ref.from === 'step' && typeof ref.step === 'string' ? ref.step : undefined;
}

/** The run holding the step's metrics in this pipeline run: its latest attempt's, or for a cache hit the run it reused. */
export async function stepMetricsRun(db: Kysely<Schema>, pipelineRunId: string, stepName: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('step_executions')
    .select(['run_id', 'cached_from_run_id'])
    .where('pipeline_run_id', '=', pipelineRunId)
    .where('step_name', '=', stepName)
    .orderBy('attempt', 'desc')
    .executeTakeFirst();
  return row?.cached_from_run_id ?? row?.run_id ?? undefined;
}
