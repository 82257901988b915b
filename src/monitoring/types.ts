/**
 * The shapes every part of monitoring shares: a monitor run yields metric values, each a point of a
 * series named by (metric, feature, segment); alert rules read them.
 */

/**
 * One computed value. `feature` is set for per-feature metrics (drift, data quality), `segment` for
 * per-segment ones (`age_band=young`); `value` is null when it cannot be computed, with `reason`
 * (one class only, no feedback joined, an empty bin set).
 *
 * Metric names: `drift.psi`, `drift.ks`, `drift.ks_p_value`, `drift.wasserstein`, `drift.chi2`,
 * `drift.chi2_p_value`, `drift.jensen_shannon` (per feature; `prediction_drift.*` the same over the
 * prediction column), `quality.null_rate`, `quality.out_of_range_rate`, `quality.unseen_category_rate`,
 * `quality.missing_column`, `quality.type_change` (per feature), `model.accuracy`, `model.precision`,
 * `model.recall`, `model.f1`, `model.auc`, `model.log_loss`, `model.calibration_error`, `model.rmse`,
 * `model.mae`, `model.rows` (overall, and per segment), the fairness gaps `fairness.<gap>` (per
 * sensitive attribute, as the feature), `custom.<name>` (a monitor's own SQL).
 */
export interface MetricValue {
  metric: string;
  feature?: string;
  segment?: string;
  value: number | null;
  reason?: string;
}

/** How a feature is compared: numeric columns by their distribution, categorical ones by their counts. */
export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
}
