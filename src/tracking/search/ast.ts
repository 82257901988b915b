/**
 * The parsed form of MLflow-style search filters and order_by entries.
 *
 * Fields are split by how they compare: a numeric field (metric, start_time, …) only ever meets a
 * number and a numeric comparator, a string field (param, tag, status, dataset digest, …) only a
 * string, a pattern or a list. The parser guarantees it, so the query compilers never re-check.
 */

export type NumericComparator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export type StringComparator = '=' | '!=' | 'LIKE' | 'ILIKE';
export type ListComparator = 'IN' | 'NOT IN';
export type Comparator = NumericComparator | StringComparator | ListComparator;

export const NUMERIC_COMPARATORS: readonly NumericComparator[] = ['=', '!=', '<', '<=', '>', '>='];

/** A comparison of a numeric field with a number. */
export interface NumberComparison<F> {
  kind: 'number';
  field: F;
  comparator: NumericComparator;
  value: number;
  /** 1-based column where the condition starts in the filter. */
  column: number;
}

/** `=`, `!=`, or a LIKE/ILIKE pattern (`%` any run, `_` one character, `\` escapes either). */
export interface StringComparison<F> {
  kind: 'string';
  field: F;
  comparator: StringComparator;
  value: string;
  column: number;
}

export interface ListComparison<F> {
  kind: 'list';
  field: F;
  comparator: ListComparator;
  values: string[];
  column: number;
}

export type Comparison<N, S> = NumberComparison<N> | StringComparison<S> | ListComparison<S>;

/** Conditions joined by AND; an empty filter has no conditions and matches everything. */
export interface Filter<N, S> {
  conditions: Comparison<N, S>[];
}

export type SortDirection = 'ASC' | 'DESC';

export interface OrderTerm<F> {
  field: F;
  direction: SortDirection;
}

// ── runs ──────────────────────────────────────────────────────────────────────

export type NumericRunAttribute = 'start_time' | 'end_time';
export type StringRunAttribute = 'run_id' | 'run_name' | 'status' | 'user_id' | 'artifact_uri';
export type RunAttribute = NumericRunAttribute | StringRunAttribute;
export type DatasetField = 'name' | 'digest' | 'context';

export type NumericRunField = { entity: 'metric'; key: string } | { entity: 'attribute'; name: NumericRunAttribute };

export type StringRunField =
  | { entity: 'param'; key: string }
  | { entity: 'tag'; key: string }
  | { entity: 'attribute'; name: StringRunAttribute }
  | { entity: 'dataset'; name: DatasetField };

export type RunFilter = Filter<NumericRunField, StringRunField>;
export type RunCondition = Comparison<NumericRunField, StringRunField>;

export type RunOrderField =
  | { entity: 'metric'; key: string }
  | { entity: 'param'; key: string }
  | { entity: 'tag'; key: string }
  | { entity: 'attribute'; name: RunAttribute };

export type RunOrderTerm = OrderTerm<RunOrderField>;

// ── experiments ───────────────────────────────────────────────────────────────

export type NumericExperimentAttribute = 'creation_time' | 'last_update_time';

export type NumericExperimentField = { entity: 'attribute'; name: NumericExperimentAttribute };
export type StringExperimentField = { entity: 'attribute'; name: 'name' } | { entity: 'tag'; key: string };

export type ExperimentFilter = Filter<NumericExperimentField, StringExperimentField>;
export type ExperimentCondition = Comparison<NumericExperimentField, StringExperimentField>;

export type ExperimentOrderField = {
  entity: 'attribute';
  name: 'experiment_id' | 'name' | NumericExperimentAttribute;
};

export type ExperimentOrderTerm = OrderTerm<ExperimentOrderField>;
