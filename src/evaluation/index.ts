/**
 * Model evaluation: pure metric functions over in-memory rows, no I/O, so a step kind, the CLI or a
 * test can feed them rows from any source.
 *
 * - `metrics.ts`: binary classification from `{label: 0|1, score}` and a threshold (a score >= the
 *   threshold is predicted positive): accuracy, precision, recall, F1, ROC AUC (ties count one half),
 *   log loss (clipped at 1e-15), the confusion matrix and ten calibration bins; regression from
 *   `{label, prediction}`: RMSE, MAE, R².
 * - `fairness.ts`: per-group metrics for one sensitive attribute and fairlearn's summary gaps
 *   (demographic parity difference, disparate impact ratio, equal opportunity and equalized odds differences).
 * - `compare.ts`: champion vs challenger on the same rows, each metric's delta and whether the
 *   challenger is better in that metric's direction.
 * - `report.ts`: which columns of a table of predictions to evaluate (`EvaluationConfigSchema`), the report over
 *   its rows (`evaluatePredictions`) and the report as flat metric keys for a tracked run (`reportMetrics`);
 *   the data capability reads such a table through DuckDB (`evaluateTable`).
 *
 * Undefined values are null (or sklearn's 0 where sklearn reports 0) with a note saying why; bad input
 * (no rows, labels other than 0/1, non-finite numbers) is an `InvalidInputError` naming the row and field.
 * `test/evaluation/sklearn.test.ts` checks the numbers against scikit-learn to 1e-9.
 */
export * from './metrics.js';
export * from './fairness.js';
export * from './compare.js';
export * from './report.js';
