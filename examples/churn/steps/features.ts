/**
 * The dataset's schema and the feature encoding, shared by clean, train and evaluate so the model
 * always sees the columns in the same order. The encoding is saved inside the model file: evaluate
 * rebuilds features from it rather than from this module's current version, and the ONNX export
 * builds its graph's encoders from it, so a served model encodes rows as its trees were trained.
 */

export const CONTRACTS = ['month-to-month', 'one-year', 'two-year'] as const;
export const PAYMENT_METHODS = ['electronic-check', 'mailed-check', 'bank-transfer', 'credit-card'] as const;
export const INTERNET_SERVICES = ['none', 'dsl', 'fiber'] as const;
/** The sensitive attribute: not a model feature, kept for per-group metrics. */
export const AGE_BANDS = ['18-29', '30-44', '45-59', '60+'] as const;

export const COLUMNS = [
  'customer_id',
  'tenure_months',
  'monthly_charges',
  'total_charges',
  'contract',
  'support_calls',
  'payment_method',
  'internet_service',
  'age_band',
  'churned',
] as const;
export type Column = (typeof COLUMNS)[number];
export type Row = Record<Column, string>;

export const LABEL = 'churned';
export const SENSITIVE = 'age_band';

/** How one model feature is computed from a row: a numeric column as it is, or one category of a column. */
export type FeatureSpec =
  { name: string; column: Column; kind: 'numeric' } | { name: string; column: Column; kind: 'one-hot'; value: string };

export interface Encoding {
  features: FeatureSpec[];
  label: string;
}

const NUMERIC: readonly Column[] = ['tenure_months', 'monthly_charges', 'total_charges', 'support_calls'];
const CATEGORICAL: ReadonlyArray<readonly [Column, readonly string[]]> = [
  ['contract', CONTRACTS],
  ['payment_method', PAYMENT_METHODS],
  ['internet_service', INTERNET_SERVICES],
];

/** The encoding of this version of the example: 4 numeric columns and 10 one-hot columns. */
export function defaultEncoding(): Encoding {
  const features: FeatureSpec[] = NUMERIC.map((column) => ({ name: column, column, kind: 'numeric' as const }));
  for (const [column, values] of CATEGORICAL) {
    for (const value of values) features.push({ name: `${column}=${value}`, column, kind: 'one-hot', value });
  }
  return { features, label: LABEL };
}

export function encodeRow(encoding: Encoding, row: Row): number[] {
  return encoding.features.map((feature) => {
    if (feature.kind === 'one-hot') return row[feature.column] === feature.value ? 1 : 0;
    return Number(row[feature.column]);
  });
}

/** Cells in header order → a row keyed by column. */
export function toRows(header: readonly string[], cells: readonly string[][]): Row[] {
  const missing = COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) throw new Error(`missing column(s) ${missing.join(', ')}`);
  const at = COLUMNS.map((column) => header.indexOf(column));
  return cells.map((row) => Object.fromEntries(COLUMNS.map((column, i) => [column, row[at[i]!] ?? ''])) as Row);
}

export function fromRows(rows: readonly Row[]): { header: string[]; rows: string[][] } {
  return { header: [...COLUMNS], rows: rows.map((row) => COLUMNS.map((column) => row[column])) };
}

const INTEGER = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** Why a row cannot be used (a missing or out-of-range value), or undefined when it is valid. */
export function rowProblem(row: Row): string | undefined {
  for (const column of COLUMNS) if (row[column] === '') return `${column} is missing`;
  if (!INTEGER.test(row.tenure_months) || Number(row.tenure_months) < 1 || Number(row.tenure_months) > 120) {
    return `tenure_months "${row.tenure_months}" is not 1–120`;
  }
  if (!DECIMAL.test(row.monthly_charges) || Number(row.monthly_charges) <= 0)
    return `monthly_charges "${row.monthly_charges}" is not positive`;
  if (!DECIMAL.test(row.total_charges)) return `total_charges "${row.total_charges}" is not a non-negative number`;
  if (!INTEGER.test(row.support_calls)) return `support_calls "${row.support_calls}" is not a count`;
  if (!(CONTRACTS as readonly string[]).includes(row.contract)) return `contract "${row.contract}" is unknown`;
  if (!(PAYMENT_METHODS as readonly string[]).includes(row.payment_method))
    return `payment_method "${row.payment_method}" is unknown`;
  if (!(INTERNET_SERVICES as readonly string[]).includes(row.internet_service))
    return `internet_service "${row.internet_service}" is unknown`;
  if (!(AGE_BANDS as readonly string[]).includes(row.age_band)) return `age_band "${row.age_band}" is unknown`;
  if (row.churned !== '0' && row.churned !== '1') return `churned "${row.churned}" is not 0 or 1`;
  return undefined;
}

/** `60+` → `60plus`, `18-29` → `18_29`: age bands as metric key parts. */
export function bandKey(band: string): string {
  return band.replace('+', 'plus').replace('-', '_');
}
