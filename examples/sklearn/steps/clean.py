"""clean: drops exact duplicate rows (keeping the first) and rows with a missing or invalid value."""
import argparse

import pandas as pd

import ciclo_log
from churn_data import AGE_BANDS, CATEGORICAL, read, write

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

raw = read(args.data)
unique = raw.drop_duplicates(keep="first")


def valid(frame):
    ok = (frame != "").all(axis=1)
    ok &= frame["tenure_months"].str.fullmatch(r"\d+") & pd.to_numeric(frame["tenure_months"], errors="coerce").between(1, 120)
    ok &= frame["monthly_charges"].str.fullmatch(r"\d+(\.\d+)?") & (pd.to_numeric(frame["monthly_charges"], errors="coerce") > 0)
    ok &= frame["total_charges"].str.fullmatch(r"\d+(\.\d+)?")
    ok &= frame["support_calls"].str.fullmatch(r"\d+")
    for column, values in CATEGORICAL.items():
        ok &= frame[column].isin(values)
    ok &= frame["age_band"].isin(AGE_BANDS)
    ok &= frame["churned"].isin(["0", "1"])
    return ok.fillna(False).astype(bool)


cleaned = unique[valid(unique)]
write(cleaned, args.out)

ciclo_log.log_metrics({
    "rows_in": len(raw),
    "duplicates_removed": len(raw) - len(unique),
    "invalid_removed": len(unique) - len(cleaned),
    "rows_out": len(cleaned),
})
