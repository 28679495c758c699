#!/usr/bin/env bash
# The Add task of spec 2.3 (train_add.py's protocol): for each width, backprop through time,
# Align-ada (the code's variant and the full one), Align-zero and readout-only, 200 epochs of
# plain SGD lr 0.001, batch 50, 300/100 generated sequences of 100 steps; one JSON per run.
# Summarise with bench/rules/summarise_add_task.py OUT_DIR.
# Usage: [DEVICE=cuda] bash bench/rules/add_task.sh [LWNET_BINARY] [OUT_DIR] [WIDTHS...]
set -euo pipefail
lwnet=${1:-build/release/bin/lwnet}
out=${2:-$(mktemp -d)}
shift 2 || true
widths=("$@")
[ ${#widths[@]} -gt 0 ] || widths=(8 16 32 64 128 256 512)
mkdir -p "$out"
for width in "${widths[@]}"; do
  for run in backprop align-ada align-ada-full align-zero last-layer; do
    file="$out/rnn${width}-${run}.json"
    [ -s "$file" ] && continue  # resumable: a finished run is kept
    case $run in
      align-ada-full) args=(--method align-ada --align-ada-variant full) ;;
      *) args=(--method "$run") ;;
    esac
    "$lwnet" train --arch "rnn:$width" "${args[@]}" --epochs 200 --device "${DEVICE:-cpu}" --json > "$file.part"
    mv "$file.part" "$file"
    echo "rnn:$width $run $(/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["min_test_loss"], r["mean_prediction_test_loss"])' "$file")"
  done
done
