"""train: a seeded scikit-learn RandomForestClassifier, pickled with its feature names."""
import argparse
import pickle

from sklearn.ensemble import RandomForestClassifier

import ciclo_log
from churn_data import features, labels, read

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--trees", type=int, default=100)
parser.add_argument("--max-depth", type=int, default=8)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--out", required=True)
args = parser.parse_args()

rows = read(args.data)
X, names = features(rows)
y = labels(rows)
model = RandomForestClassifier(
    n_estimators=args.trees, max_depth=args.max_depth, min_samples_leaf=5, random_state=args.seed, n_jobs=1
)
model.fit(X, y)
with open(args.out, "wb") as out:
    pickle.dump({"model": model, "features": names}, out, protocol=4)

ciclo_log.log_metrics({"train_rows": len(rows), "train_accuracy": float(model.score(X, y))})
