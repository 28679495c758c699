#!/usr/bin/env bash
# The eight datasets of the closed-form network's paper (the reference's 10-fold layout) with the
# layer-wise methods of this literature side by side on one engine (issue 14): the closed-form
# network (its published preset), DGL, the HSIC bottleneck and backprop on the same architecture.
# One protocol for every dataset, chosen beforehand on scikit-learn's digits (a held-out split;
# not one of the eight) and never tuned on these folds:
#   backprop          dense:64x3, Adam lr 1e-3, batch 32, 100 epochs, init torch, cross-entropy
#   dgl               dense:64x3, Adam lr 1e-3, batch 32, 30 epochs per layer (spec 3 defaults)
#   hsic-bottleneck   dense:64x3, SGD lr 0.01, weight decay 1e-3, batch 32, 30 epochs,
#                     sigma 5, beta 50; format readout 100 epochs, lr 0.05, batch 32
#   kme               lwnet cv --preset NAME (the published protocol)
# No batch normalisation (the HSIC code's blocks have it): lwnet's batch norm takes each prediction
# batch's statistics, and these folds' test files are sorted by class, so a batch of one class
# would be normalised into noise (dense:64x3:bn scored 0.60 on cancer fold 1, dense:64x3 1.00).
# One JSON per (dataset, method) in OUT_DIR; summarise with bench/local/summarise_paper.py OUT_DIR.
# SEED=S (default 0) runs the seed S (file NAME-METHOD-seedS.json for S > 0); METHODS="dgl backprop"
# restricts the methods.
# Usage: [SEED=S] [METHODS=...] bash bench/local/paper_datasets.sh [LWNET_BINARY] [FOLDS_ROOT] [OUT_DIR] [DATASETS...]
set -euo pipefail
lwnet=${1:-build/release/bin/lwnet}
root=${2:-../shared/data/nik}
out=${3:-$(mktemp -d)}
shift 3 || true
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(adversarial cancer car cifar10 divorce random spiral wine)
mkdir -p "$out"
for name in "${datasets[@]}"; do
  for method in ${METHODS:-kme dgl hsic-bottleneck backprop}; do
    file="$out/$name-$method.json"
    [ "${SEED:-0}" = 0 ] || file="$out/$name-$method-seed$SEED.json"
    [ -s "$file" ] && continue  # resumable: a finished run is kept
    case $method in
      kme) args=(--preset "$name") ;;
      backprop) args=(--method backprop --arch dense:64x3 --optimizer adam --lr 0.001 --batch-size 32 --epochs 100
                      --init torch) ;;
      dgl) args=(--method dgl --arch dense:64x3 --batch-size 32) ;;
      hsic-bottleneck) args=(--method hsic-bottleneck --arch dense:64x3 --lr 0.01 --batch-size 32 --epochs 30
                             --readout-epochs 100 --readout-lr 0.05 --readout-batch-size 32) ;;
    esac
    "$lwnet" cv --folds "$root/$name/$name" "${args[@]}" --seed "${SEED:-0}" --device "${DEVICE:-cpu}" --json \
      > "$file.part"
    mv "$file.part" "$file"
    echo "$name $method $(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(round(s["test_accuracy_mean"], 4), round(s["test_accuracy_std"], 4))' "$file")"
  done
done
