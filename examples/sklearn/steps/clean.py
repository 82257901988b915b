"""clean: drops exact duplicate rows (keeping the first) and rows with a missing or invalid value."""
import argparse
import re

import ciclo_log
from churn_data import AGE_BANDS, CATEGORICAL, read, write

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

WHOLE = re.compile(r"\d+")
DECIMAL = re.compile(r"\d+(\.\d+)?")


def valid(row):
    if any(value == "" for value in row.values()):
        return False
    tenure, monthly = row["tenure_months"], row["monthly_charges"]
    # The two range-checked columns must also be ASCII digits: `\d` matches any script's digits, which
    # a CSV reader would not take for a number.
    if not (WHOLE.fullmatch(tenure) and tenure.isascii() and 1 <= int(tenure) <= 120):
        return False
    if not (DECIMAL.fullmatch(monthly) and monthly.isascii() and float(monthly) > 0):
        return False
    if not (DECIMAL.fullmatch(row["total_charges"]) and WHOLE.fullmatch(row["support_calls"])):
        return False
    if any(row[column] not in values for column, values in CATEGORICAL.items()):
        return False
    return row["age_band"] in AGE_BANDS and row["churned"] in ("0", "1")


raw = read(args.data)
# Exact duplicates: the same text in every column. The first of each stays, in file order.
seen = set()
unique = []
for row in raw:
    key = tuple(row.values())
    if key not in seen:
        seen.add(key)
        unique.append(row)
cleaned = [row for row in unique if valid(row)]
write(cleaned, args.out)

ciclo_log.log_metrics({
    "rows_in": len(raw),
    "duplicates_removed": len(raw) - len(unique),
    "invalid_removed": len(unique) - len(cleaned),
    "rows_out": len(cleaned),
})
