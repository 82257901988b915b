"""The dataset's schema and the feature encoding shared by the steps."""
import pandas as pd

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
    # Everything as text first, so clean decides what is valid rather than the parser.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(frame, path):
    frame.to_csv(path, index=False, lineterminator="\n")


def features(frame):
    """Numeric columns as floats and one 0/1 column per category, always in the same order."""
    encoded = pd.DataFrame({column: frame[column].astype(float) for column in NUMERIC})
    for column, values in CATEGORICAL.items():
        for value in values:
            encoded[f"{column}={value}"] = (frame[column] == value).astype(float)
    return encoded


def band_key(band):
    """`60+` -> `60plus`, `18-29` -> `18_29`: age bands as metric key parts."""
    return band.replace("+", "plus").replace("-", "_")
