import { InvalidInputError } from '../common/errors.js';
import { checkScoredRows, checkThreshold, countConfusion, DEFAULT_THRESHOLD, type ScoredRow } from './metrics.js';

/**
 * Fairness of a binary classifier across the values of one sensitive attribute (a "group" each).
 * The summary definitions are fairlearn's, so numbers can be compared with reports made there:
 *
 * - selection rate (here `positive_rate`): share of the group's rows predicted positive (score >= threshold).
 * - demographic parity difference: max − min selection rate over the groups
 *   (fairlearn `demographic_parity_difference`, method "between_groups"); 0 is parity.
 * - disparate impact ratio: min / max selection rate (fairlearn `demographic_parity_ratio`);
 *   1 is parity; the "four-fifths rule" flags values below 0.8.
 * - equal opportunity difference: max − min true positive rate (recall) over the groups
 *   (fairlearn's `true_positive_rate` difference, between groups); 0 is parity.
 * - equalized odds difference: the larger of the TPR difference and the FPR difference
 *   (fairlearn `equalized_odds_difference`).
 *
 * A rate a group cannot have (TPR with no positive labels, FPR with no negatives, precision with no
 * predicted positives) is null there, and groups without it are left out of the summary that needs
 * it, with a note; fairlearn would count such a rate as 0, which reads as the worst possible gap.
 */

export interface GroupedScoredRow extends ScoredRow {
  /** The sensitive attribute's value for this row. */
  group: string;
}

export interface GroupMetrics {
  group: string;
  count: number;
  /** Rows with label 1. */
  positives: number;
  /** Share predicted positive (selection rate). */
  positive_rate: number;
  /** True positive rate (recall); null without positive labels. */
  tpr: number | null;
  /** False positive rate; null without negative labels. */
  fpr: number | null;
  /** Null without predicted positives. */
  precision: number | null;
  accuracy: number;
}

export interface FairnessReport {
  threshold: number;
  /** Sorted by group value, so reports are stable. */
  groups: GroupMetrics[];
  demographic_parity_difference: number;
  /** Null when no group has any predicted positive (0 / 0). */
  disparate_impact_ratio: number | null;
  /** Null when no group has positive labels. */
  equal_opportunity_difference: number | null;
  /** Null when neither TPR nor FPR difference is defined. */
  equalized_odds_difference: number | null;
  notes: string[];
}

export interface FairnessOptions {
  threshold?: number;
}

function groupMetrics(group: string, rows: readonly ScoredRow[], threshold: number): GroupMetrics {
  const { tp, fp, tn, fn } = countConfusion(rows, threshold);
  return {
    group,
    count: rows.length,
    positives: tp + fn,
    positive_rate: (tp + fp) / rows.length,
    tpr: tp + fn === 0 ? null : tp / (tp + fn),
    fpr: fp + tn === 0 ? null : fp / (fp + tn),
    precision: tp + fp === 0 ? null : tp / (tp + fp),
    accuracy: (tp + tn) / rows.length,
  };
}

/** max − min over the defined values; null when none is defined. */
function spread(values: readonly (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null);
  if (defined.length === 0) return null;
  return Math.max(...defined) - Math.min(...defined);
}

export function fairnessReport(rows: readonly GroupedScoredRow[], options: FairnessOptions = {}): FairnessReport {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  checkScoredRows(rows);
  checkThreshold(threshold);
  const byGroup = new Map<string, ScoredRow[]>();
  rows.forEach((row, i) => {
    if (typeof row.group !== 'string') {
      throw new InvalidInputError(`group must be a string, got ${String(row.group)}`, {
        where: `rows[${i}].group`,
        hint: 'give every row the value of its sensitive attribute as text (missing values as e.g. "unknown")',
      });
    }
    const list = byGroup.get(row.group) ?? [];
    list.push(row);
    byGroup.set(row.group, list);
  });
  const groups = [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, list]) => groupMetrics(group, list, threshold));

  const notes: string[] = [];
  if (groups.length === 1) notes.push(`only one group ("${groups[0]!.group}"): the differences are 0 by definition`);
  const rates = groups.map((g) => g.positive_rate);
  const maxRate = Math.max(...rates);
  const disparate_impact_ratio = maxRate === 0 ? null : Math.min(...rates) / maxRate;
  if (disparate_impact_ratio === null)
    notes.push('disparate impact ratio is undefined: no group has a predicted positive');
  const leftOut = (field: 'tpr' | 'fpr', what: string) => {
    const missing = groups.filter((g) => g[field] === null).map((g) => g.group);
    if (missing.length > 0)
      notes.push(
        `${field.toUpperCase()} is undefined for ${missing.join(', ')} (no ${what}); left out of the differences`,
      );
  };
  leftOut('tpr', 'positive labels');
  leftOut('fpr', 'negative labels');
  const tprDiff = spread(groups.map((g) => g.tpr));
  const fprDiff = spread(groups.map((g) => g.fpr));
  return {
    threshold,
    groups,
    demographic_parity_difference: maxRate - Math.min(...rates),
    disparate_impact_ratio,
    equal_opportunity_difference: tprDiff,
    equalized_odds_difference: tprDiff === null ? fprDiff : fprDiff === null ? tprDiff : Math.max(tprDiff, fprDiff),
    notes,
  };
}
