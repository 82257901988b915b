"""generate: a seeded synthetic customer-churn table (numpy), with ~2% exact duplicate rows and ~1%
rows with a missing or invalid value for clean to remove."""
import argparse

import numpy as np

import ciclo_log
from churn_data import AGE_BANDS, CONTRACTS, INTERNET_SERVICES, PAYMENT_METHODS, write

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=5000)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--out", required=True)
args = parser.parse_args()

rng = np.random.default_rng(args.seed)
duplicates = round(args.rows * 0.02)
n = args.rows - duplicates

age_band = rng.choice(AGE_BANDS, n, p=[0.22, 0.34, 0.27, 0.17])
contract = rng.choice(CONTRACTS, n, p=[0.52, 0.26, 0.22])
tenure = np.where(
    contract == "month-to-month",
    np.minimum(72, 1 + np.floor(rng.exponential(14, n))),
    np.floor(rng.uniform(np.where(contract == "one-year", 6, 12), 73)),
).astype(int)
internet = rng.choice(INTERNET_SERVICES, n, p=[0.2, 0.36, 0.44])
low = np.select([internet == "none", internet == "dsl"], [18, 40], 70)
high = np.select([internet == "none", internet == "dsl"], [26, 68], 112)
monthly = rng.uniform(low, high)
total = tenure * monthly * rng.uniform(0.97, 1.03, n)
support_calls = rng.poisson(np.where(internet == "fiber", 1.8, 1.1))
payment = rng.choice(PAYMENT_METHODS, n, p=[0.34, 0.22, 0.22, 0.22])

logit = (
    -2.7
    + np.select([contract == "month-to-month", contract == "two-year"], [1.5, -1.6], 0)
    - 0.05 * (tenure - 24)
    + 0.02 * (monthly - 65)
    + 0.55 * (support_calls - 1.4)
    + np.where(payment == "electronic-check", 0.8, 0)
    + np.where(internet == "fiber", 0.5, 0)
    + np.select([age_band == "60+", age_band == "18-29"], [0.6, 0.2], 0)
)
churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)

# One dict per row; numpy's strings become str, numbers their text as written to the CSV.
rows = [
    {
        "customer_id": f"C{i + 1:06d}",
        "tenure_months": str(tenure[i]),
        "monthly_charges": f"{monthly[i]:.2f}",
        "total_charges": f"{total[i]:.2f}",
        "contract": str(contract[i]),
        "support_calls": str(support_calls[i]),
        "payment_method": str(payment[i]),
        "internet_service": str(internet[i]),
        "age_band": str(age_band[i]),
        "churned": str(churned[i]),
    }
    for i in range(n)
]

# Damage a few rows: blanks, and values out of their domain. The random draws come in this order
# (which rows, then per row a column or a damage), so a seed always damages the same cells.
missing = max(1, round(args.rows * 0.007))
invalid = max(1, round(args.rows * 0.003))
damaged = rng.choice(n, missing + invalid, replace=False)
blankable = ["tenure_months", "monthly_charges", "total_charges", "contract", "payment_method", "age_band"]
out_of_domain = [("monthly_charges", "-12.50"), ("tenure_months", "0"), ("contract", "unknown"), ("churned", "yes")]
for row in damaged[:missing]:
    rows[row][str(rng.choice(blankable))] = ""
for row in damaged[missing:]:
    column, value = out_of_domain[rng.integers(len(out_of_domain))]
    rows[row][column] = value

# Exact duplicates of random rows, each inserted right after its original.
sources = np.sort(rng.choice(n, duplicates, replace=False))
order = np.sort(np.concatenate([np.arange(n), sources]), kind="stable")
rows = [rows[index] for index in order]
write(rows, args.out)

ciclo_log.log_metrics({
    "rows": len(rows),
    "duplicates_injected": duplicates,
    "missing_injected": missing,
    "invalid_injected": invalid,
    "churn_rate": float(churned.mean()),
})
