"""evaluate: accuracy, precision, recall, f1, AUC, and per-age-band positive rate and recall."""
import argparse
import json
import pickle

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

import ciclo_log
from churn_data import AGE_BANDS, band_key, features, labels, read

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.model, "rb") as model_file:
    saved = pickle.load(model_file)
model = saved["model"]
rows = read(args.data)
encoded, names = features(rows)
# The columns in the order the model was trained on, by name.
X = encoded[:, [names.index(name) for name in saved["features"]]]
y = labels(rows)
scores = model.predict_proba(X)[:, 1]
predicted = (scores >= 0.5).astype(int)

metrics = {
    "accuracy": accuracy_score(y, predicted),
    "precision": precision_score(y, predicted, zero_division=0),
    "recall": recall_score(y, predicted, zero_division=0),
    "f1": f1_score(y, predicted, zero_division=0),
    "auc": roc_auc_score(y, scores),
    "test_rows": len(rows),
}
for band in AGE_BANDS:
    members = np.array([row["age_band"] == band for row in rows], dtype=bool)
    key = f"age_{band_key(band)}"
    metrics[f"rows.{key}"] = int(members.sum())
    metrics[f"positive_rate.{key}"] = float(predicted[members].mean()) if members.any() else 0.0
    metrics[f"recall.{key}"] = recall_score(y[members], predicted[members], zero_division=0)
metrics = {key: round(float(value), 6) for key, value in metrics.items()}

with open(args.out, "w") as out:
    json.dump({"threshold": 0.5, "metrics": metrics}, out, indent=2, sort_keys=True)
    out.write("\n")

ciclo_log.log_metrics(metrics)
