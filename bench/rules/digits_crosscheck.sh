#!/usr/bin/env bash
# The spec's cross-check of the learning rules (section 2.2: a float64 prototype's figures):
# dense:512x2 without batch norm, NTK, MSE to one-hot - 0.1, SGD lr 2 without momentum, batch 100,
# 200 epochs, scikit-learn's digits scaled to [0, 1], an 80/20 split (stratified, random_state 0).
# Usage: bash bench/rules/digits_crosscheck.sh [LWNET_BINARY] [OUT_DIR]
set -euo pipefail
lwnet=${1:-build/release/bin/lwnet}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
/usr/bin/python3 - "$out" <<'PY'
import sys
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
out = sys.argv[1]
d = load_digits()
Xtr, Xte, ytr, yte = train_test_split(d.data / 16.0, d.target, test_size=0.2, random_state=0, stratify=d.target)
for name, a, fmt in (("train", Xtr, "%.6f"), ("test", Xte, "%.6f"), ("train_label", ytr, "%d"), ("test_label", yte, "%d")):
    np.savetxt(f"{out}/{name}.csv", a, delimiter=",", fmt=fmt)
PY
for method in backprop align-ada align-zero align-prop fa dfa last-layer; do
  "$lwnet" train --method "$method" --data "$out/train.csv" --labels "$out/train_label.csv" \
    --test "$out/test.csv" --test-labels "$out/test_label.csv" --arch dense:512x2 --loss mse --optimizer sgd \
    --momentum 0 --lr 2 --batch-size 100 --epochs 200 --standardize none --device cpu \
    --out "$out/$method.safetensors" > "$out/$method.log" 2>&1
  echo "$method $(grep 'test accuracy' "$out/$method.log" | tail -n 1)"
done
