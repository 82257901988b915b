"""split: a seeded stratified train/test split (sklearn's train_test_split)."""
import argparse

from sklearn.model_selection import train_test_split

import ciclo_log
from churn_data import LABEL, read, write

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--test-fraction", type=float, default=0.2)
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--train-out", required=True)
parser.add_argument("--test-out", required=True)
args = parser.parse_args()

frame = read(args.data)
train, test = train_test_split(frame, test_size=args.test_fraction, random_state=args.seed, stratify=frame[LABEL])
# Rows keep their original order inside each side.
train, test = train.sort_index(), test.sort_index()
write(train, args.train_out)
write(test, args.test_out)

ciclo_log.log_metrics({
    "train_rows": len(train),
    "test_rows": len(test),
    "train_positive_rate": float((train[LABEL] == "1").mean()),
    "test_positive_rate": float((test[LABEL] == "1").mean()),
})
