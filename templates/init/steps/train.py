"""`train`: a scikit-learn logistic regression on the train part, scored on the test part.

Writes the model as a Ciclo model package (model.pkl and ciclo-model.json, docs/model-format.md),
which the `python` runtime serves, and its metrics as JSON; logs the metrics to the step's run.
Needs only numpy and scikit-learn (Debian's python3-sklearn, which /usr/bin/python3 sees).
"""
import argparse
import csv
import hashlib
import json
import os
import pickle

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score

from ciclo_log import log_metrics

FEATURES = ["x1", "x2"]


def read(path):
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    x = np.array([[float(row[name]) for name in FEATURES] for row in rows])
    y = np.array([int(row["label"]) for row in rows])
    return x, y


def write_package(folder, model, metrics):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.pkl"), "wb") as file:
        pickle.dump(model, file)
    files = []
    for name in sorted(os.listdir(folder)):
        if name == "ciclo-model.json":
            continue
        with open(os.path.join(folder, name), "rb") as file:
            content = file.read()
        files.append({"path": name, "digest": "sha256:" + hashlib.sha256(content).hexdigest(), "size": len(content)})
    manifest = {
        "format_version": 1,
        "flavor": "sklearn",
        "signature": {
            "inputs": [{"name": name, "type": "double"} for name in FEATURES],
            "outputs": [{"name": "label", "type": "double"}],
        },
        "files": files,
        "metrics": metrics,
        "requirements": ["scikit-learn"],
    }
    with open(os.path.join(folder, "ciclo-model.json"), "w") as file:
        json.dump(manifest, file, indent=2)


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--train", "--test", "--model", "--metrics"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    x_train, y_train = read(args.train)
    x_test, y_test = read(args.test)
    model = LogisticRegression().fit(x_train, y_train)
    scores = model.predict_proba(x_test)[:, 1]
    metrics = {
        "auc": round(float(roc_auc_score(y_test, scores)), 6),
        "accuracy": round(float(accuracy_score(y_test, scores >= 0.5)), 6),
    }
    write_package(args.model, model, metrics)
    with open(args.metrics, "w") as file:
        json.dump(metrics, file, indent=2)
    log_metrics(metrics)
    print(f"test auc {metrics['auc']}, accuracy {metrics['accuracy']}")


if __name__ == "__main__":
    main()
