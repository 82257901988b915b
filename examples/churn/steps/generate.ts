/**
 * `generate`: a synthetic customer-churn table, fully determined by `rows` and `seed`. Churn follows
 * a logistic model of the features (short tenure, month-to-month contracts, high charges, support
 * calls, electronic checks and fiber raise it; older customers churn a little more), so a classifier
 * can learn it. About 2% of the rows are exact duplicates and about 1% have a missing or invalid
 * value, for `clean` to remove.
 */
import type { StepRunContext } from 'ciclo';
import { intParam, mulberry32, writeCsv } from './common.js';
import { AGE_BANDS, CONTRACTS, INTERNET_SERVICES, PAYMENT_METHODS, fromRows, type Row } from './features.js';

const DUPLICATE_RATE = 0.02;
const MISSING_RATE = 0.007;
const INVALID_RATE = 0.003;

export async function generate(ctx: StepRunContext): Promise<void> {
  const rows = intParam(ctx.params, 'rows', 5000);
  const seed = intParam(ctx.params, 'seed', 42);
  const drift = typeof ctx.params.drift === 'number' ? ctx.params.drift : 0;
  if (rows < 100) throw new Error(`param "rows" must be at least 100 (got ${rows})`);
  if (drift < 0 || drift > 1) throw new Error(`param "drift" must be between 0 and 1 (got ${drift})`);
  const table = generateRows(rows, seed, drift);
  await writeCsv(ctx.outputs.data!, fromRows(table.rows));

  const run = await ctx.run();
  run.log({
    rows: table.rows.length,
    duplicates_injected: table.duplicates,
    missing_injected: table.missing,
    invalid_injected: table.invalid,
    churn_rate: table.churned / table.customers,
  });
}

export interface Generated {
  rows: Row[];
  customers: number;
  churned: number;
  duplicates: number;
  missing: number;
  invalid: number;
}

/**
 * `drift` moves the market the customers come from, standing in for newer data: at 1, monthly charges are 30%
 * higher and month-to-month contracts 70% instead of 52% of new ones (at 0 the draws are exactly the first
 * market's, so a run with the default reproduces byte for byte).
 */
export function generateRows(total: number, seed: number, drift = 0): Generated {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[], weights: readonly number[]): T => {
    let u = random();
    for (let i = 0; i < values.length; i++) {
      u -= weights[i]!;
      if (u < 0) return values[i]!;
    }
    return values[values.length - 1]!;
  };
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const poisson = (mean: number) => {
    // Knuth: fine for the small means used here.
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = random(); p > limit; p *= random()) k++;
    return k;
  };

  const duplicates = Math.round(total * DUPLICATE_RATE);
  const customers = total - duplicates;
  const rows: Row[] = [];
  let churned = 0;
  for (let i = 0; i < customers; i++) {
    const ageBand = pick(AGE_BANDS, [0.22, 0.34, 0.27, 0.17]);
    const contract = pick(CONTRACTS, [0.52 + 0.18 * drift, 0.26 - 0.09 * drift, 0.22 - 0.09 * drift]);
    const tenure =
      contract === 'month-to-month'
        ? Math.min(72, 1 + Math.floor(-Math.log(1 - random()) * 14))
        : Math.floor(uniform(contract === 'one-year' ? 6 : 12, 73));
    const internet = pick(INTERNET_SERVICES, [0.2, 0.36, 0.44]);
    const base = internet === 'none' ? uniform(18, 26) : internet === 'dsl' ? uniform(40, 68) : uniform(70, 112);
    const monthly = base * (1 + 0.3 * drift);
    const total_charges = tenure * monthly * uniform(0.97, 1.03);
    const supportCalls = poisson(internet === 'fiber' ? 1.8 : 1.1);
    const payment = pick(PAYMENT_METHODS, [0.34, 0.22, 0.22, 0.22]);

    const logit =
      -2.7 +
      (contract === 'month-to-month' ? 1.5 : contract === 'two-year' ? -1.6 : 0) -
      0.05 * (tenure - 24) +
      0.02 * (monthly - 65) +
      0.55 * (supportCalls - 1.4) +
      (payment === 'electronic-check' ? 0.8 : 0) +
      (internet === 'fiber' ? 0.5 : 0) +
      (ageBand === '60+' ? 0.6 : ageBand === '18-29' ? 0.2 : 0);
    const churn = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    churned += churn;

    rows.push({
      customer_id: `C${String(i + 1).padStart(6, '0')}`,
      tenure_months: String(tenure),
      monthly_charges: monthly.toFixed(2),
      total_charges: total_charges.toFixed(2),
      contract,
      support_calls: String(supportCalls),
      payment_method: payment,
      internet_service: internet,
      age_band: ageBand,
      churned: String(churn),
    });
  }

  // Damage a few rows the way real exports are damaged: blanks, and values out of their domain.
  const missing = Math.max(1, Math.round(total * MISSING_RATE));
  const invalid = Math.max(1, Math.round(total * INVALID_RATE));
  const damaged = new Set<number>();
  const damage = (count: number, change: (row: Row) => void) => {
    for (let done = 0; done < count;) {
      const at = Math.floor(random() * rows.length);
      if (damaged.has(at)) continue;
      damaged.add(at);
      change(rows[at]!);
      done++;
    }
  };
  const blankable = [
    'tenure_months',
    'monthly_charges',
    'total_charges',
    'contract',
    'payment_method',
    'age_band',
  ] as const;
  damage(missing, (row) => {
    row[blankable[Math.floor(random() * blankable.length)]!] = '';
  });
  const invalidators: Array<(row: Row) => void> = [
    (row) => (row.monthly_charges = `-${row.monthly_charges}`),
    (row) => (row.tenure_months = '0'),
    (row) => (row.contract = 'unknown'),
    (row) => (row.churned = 'yes'),
  ];
  damage(invalid, (row) => invalidators[Math.floor(random() * invalidators.length)]!(row));

  // Exact duplicates of random rows, each inserted somewhere after its original.
  for (let d = 0; d < duplicates; d++) {
    const source = Math.floor(random() * rows.length);
    const at = source + 1 + Math.floor(random() * (rows.length - source));
    rows.splice(at, 0, { ...rows[source]! });
  }
  return { rows, customers, churned, duplicates, missing, invalid };
}
