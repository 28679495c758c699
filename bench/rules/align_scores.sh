#!/usr/bin/env bash
# The alignment score of spec 2.4 per hidden layer against the shuffled control, across widths:
# conv:WIDTH:1,2,2:bn, NTK, MSE, plain SGD lr 5 (alignment_kmnist.py's), batch 100, on IDX images.
# Usage: bash bench/rules/align_scores.sh LWNET TRAIN_IDX TRAIN_LABELS OUT_DIR EPOCHS WIDTHS...
# (bench/results/align-fashion-scores-*/: the first 10,000 of Fashion-MNIST's 55k training images
# as fashion_protocol.py splits them, 10 epochs; the reference: KMNIST, 100 epochs).
set -euo pipefail
lwnet=$1 data=$2 labels=$3 out=$4 epochs=$5
shift 5
mkdir -p "$out"
for width in "$@"; do
  file="$out/conv${width}.json"
  [ -s "$file" ] && continue
  "$lwnet" align-score --arch "conv:${width}:1,2,2:bn" --init ntk --loss mse --optimizer sgd --momentum 0 --lr 5 \
    --batch-size 100 --epochs "$epochs" --standardize none --seed 0 --device cpu --draws 100 --noise-batch 100 \
    --data "$data" --labels "$labels" --json > "$file.part"
  mv "$file.part" "$file"
  /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], [(l["layer"], round(l["score"], 4), round(l["shuffled_score"], 4)) for l in r["alignment"]])' "$file" "conv:$width"
done
