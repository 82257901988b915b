"""split: a seeded stratified train/test split (sklearn's train_test_split)."""
import argparse

import numpy as np
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


def positive_rate(side):
    return sum(row[LABEL] == "1" for row in side) / len(side)


rows = read(args.data)
# Split the row numbers: the same seeded, stratified draw as splitting the rows themselves.
train_index, test_index = train_test_split(
    np.arange(len(rows)), test_size=args.test_fraction, random_state=args.seed, stratify=[row[LABEL] for row in rows]
)
# Rows keep their original order inside each side.
train = [rows[index] for index in np.sort(train_index)]
test = [rows[index] for index in np.sort(test_index)]
write(train, args.train_out)
write(test, args.test_out)

ciclo_log.log_metrics({
    "train_rows": len(train),
    "test_rows": len(test),
    "train_positive_rate": positive_rate(train),
    "test_positive_rate": positive_rate(test),
})
