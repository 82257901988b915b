"""The dataset's schema, CSV reading and writing, and the feature encoding shared by the steps.

Standard library and numpy only (no pandas): a table is a list of rows, each a dict from column name to
its text exactly as in the file.
"""
import csv

import numpy as np

CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENT_METHODS = ["electronic-check", "mailed-check", "bank-transfer", "credit-card"]
INTERNET_SERVICES = ["none", "dsl", "fiber"]
# The sensitive attribute: not a model feature, kept for per-group metrics.
AGE_BANDS = ["18-29", "30-44", "45-59", "60+"]
COLUMNS = [
    "customer_id", "tenure_months", "monthly_charges", "total_charges", "contract",
    "support_calls", "payment_method", "internet_service", "age_band", "churned",
]
NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls"]
CATEGORICAL = {"contract": CONTRACTS, "payment_method": PAYMENT_METHODS, "internet_service": INTERNET_SERVICES}
LABEL = "churned"


def read(path):
    """The rows of a CSV file with a header line, every value as text, so clean decides what is valid rather
    than the parser. A row with fewer fields than the header gets "" (missing) for the rest; blank lines are
    skipped."""
    with open(path, newline="", encoding="utf-8-sig") as file:  # -sig: a leading byte order mark is not data
        reader = csv.DictReader(file, restval="")
        rows = []
        for row in reader:
            if None in row:  # DictReader puts the fields past the header's under the key None
                raise SystemExit(f"{path}:{reader.line_num}: more fields than the header")
            rows.append(row)
    return rows


def write(rows, path):
    """The rows under a header of COLUMNS, comma-separated, quoted only where needed, lines ending in \\n."""
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def labels(rows):
    """The label column as an int array (0 or 1, as clean leaves it)."""
    return np.array([int(row[LABEL]) for row in rows], dtype=np.int64)


def features(rows):
    """The feature matrix and its column names: numeric columns as floats, then one 0/1 column per category,
    always in the same order."""
    names = list(NUMERIC) + [f"{column}={value}" for column, values in CATEGORICAL.items() for value in values]
    matrix = np.array(
        [
            [float(row[column]) for column in NUMERIC]
            + [float(row[column] == value) for column, values in CATEGORICAL.items() for value in values]
            for row in rows
        ],
        dtype=np.float64,
    ).reshape(len(rows), len(names))  # reshape: an empty table still has its columns
    return matrix, names


def band_key(band):
    """`60+` -> `60plus`, `18-29` -> `18_29`: age bands as metric key parts."""
    return band.replace("+", "plus").replace("-", "_")
