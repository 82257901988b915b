import { InvalidInputError, InvalidStateError } from '../../common/errors.js';
import { DataEngine } from '../../data/index.js';
import { evaluatePredictions, reportMetrics } from '../../evaluation/index.js';
import type { RegistryService } from '../../registry/index.js';
import type { ModelLoader } from '../../serving/index.js';
import { BATCH_ROWS, frameOfRows, predictionOutput, predictionValue } from './predictions.js';
import type { BaselineService } from './service.js';

export interface ChampionComparisonDeps {
  baselines: BaselineService;
  registry: Pick<RegistryService, 'show'>;
  loader: Pick<ModelLoader, 'loadVersion'>;
}

const REGRESSION_METRICS = new Set(['rmse', 'mae', 'r2']);

/**
 * The champion gate's `on: evaluation_data`: the candidate's predictions on its evaluation set (stored with its
 * baseline at registration) and the champion's on the same rows, scored now, both judged by the same metric
 * against the evaluation set's label. After the world drifts, the candidate's snapshot (measured on new data) and
 * the champion's (measured on old data) no longer compare; these do.
 */
export async function compareOnEvaluationData(
  deps: ChampionComparisonDeps,
  request: { model: string; candidate: number; champion: number; metric: string; label: string },
): Promise<{ candidate: number | null; champion: number | null; data: string }> {
  const baseline = await deps.baselines.get(request.model, request.candidate);
  if (baseline.predictions === null || baseline.predictionsDigest === null) {
    throw new InvalidStateError(
      `${request.model}/${request.candidate} has no predictions on an evaluation set to compare on` +
        (baseline.predictionsError === null ? '' : ` (${baseline.predictionsError})`),
    );
  }
  const engine = await DataEngine.open();
  try {
    const relation = (await deps.baselines.predictionsRelation(engine, baseline))!;
    const rows = await engine.all(`SELECT * FROM ${relation}`);
    if (rows.length === 0) throw new InvalidStateError(`${baseline.predictions.dataset} has no rows to compare on`);
    if (!(request.label in rows[0]!)) {
      throw new InvalidInputError(`champion.label: ${baseline.predictions.dataset} has no column "${request.label}"`, {
        hint: `Its columns are: ${Object.keys(rows[0]!).join(', ')}.`,
      });
    }
    const columns = Object.keys(rows[0]!).filter((name) => name !== baseline.predictions!.column);
    const champion = await deps.loader.loadVersion(await deps.registry.show(request.model, request.champion));
    const championScores: (number | string | null)[] = [];
    try {
      const output = predictionOutput(champion);
      for (let start = 0; start < rows.length; start += BATCH_ROWS) {
        const batch = rows.slice(start, start + BATCH_ROWS);
        const scored = await champion.score(frameOfRows(batch, champion, columns));
        for (const cell of scored.columns.get(output) ?? []) championScores.push(predictionValue(cell));
      }
    } finally {
      await champion.close();
    }
    const task = REGRESSION_METRICS.has(request.metric) ? 'regression' : 'classification';
    const metricOf = (score: (row: number) => unknown) => {
      const report = evaluatePredictions(
        rows.map((row, index) => ({ label: row[request.label], score: score(index) })),
        { task, label: 'label', score: 'score', sensitive: [] },
      );
      return reportMetrics(report)[request.metric] ?? null;
    };
    return {
      candidate: metricOf((index) => rows[index]![baseline.predictions!.column]),
      champion: metricOf((index) => championScores[index]),
      data: `${baseline.predictions.dataset} (${rows.length} rows)`,
    };
  } finally {
    engine.close();
  }
}
