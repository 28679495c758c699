#!/usr/bin/env bash
# The local kernel losses on the full Fashion-MNIST (60,000 training / 10,000 test images; issue 14),
# each beside backprop on the same architecture, test accuracy and time per epoch from the JSON:
#   dgl-dense         --method dgl, dense:256x3, spec 3 defaults (Adam 1e-3, batch 64, init torch),
#                     10 epochs per layer (the spec's 30 per layer is 90 CPU epochs)
#   backprop-dense    dense:256x3, Adam 1e-3, batch 64, init torch, 30 epochs (the same epoch count)
#   dgl-conv          --method dgl, conv:64:1,2,2:bn, 2 epochs per layer
#   backprop-conv     conv:64:1,2,2:bn, Adam 1e-3, batch 64, init torch, 6 epochs
#   hsic-format       --method hsic-bottleneck with the code's defaults (dense:128x7:bn, 5 epochs,
#                     then the format readout, 5 epochs)
#   backprop-hsic     the code's backprop baseline: dense:128x7:bn + readout, SGD lr 1e-3 (no
#                     momentum), weight decay 1e-5, batch 256, 5 epochs, init torch
#   hsic-unformatted  the code's hsic-solve on FMNIST: dense:1024x7:bn (last block 10 units),
#                     sigma 6, beta 1000, SGD lr 0.01, batch 256, 5 epochs
#   backprop-1024     dense:1024x7:bn + readout, SGD lr 0.01, weight decay 1e-5, batch 256, 5 epochs
# and, named on the command line only: hsic-unformatted-seed1, -seed2 (the same run, other seeds),
#   dgl-dense-30 (the spec's 30 epochs per layer)
# One JSON per run in OUT_DIR (resumable); summarise with bench/local/summarise_fashion.py OUT_DIR.
# Usage: [DEVICE=cuda] bash bench/local/fashion_local.sh [LWNET_BINARY] [FASHION_DIR] [OUT_DIR] [RUNS...]
set -euo pipefail
lwnet=${1:-build/release/bin/lwnet}
dir=${2:-/usr/share/datasets/fashion-mnist}
out=${3:-$(mktemp -d)}
shift 3 || true
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(dgl-dense backprop-dense hsic-format backprop-hsic dgl-conv backprop-conv
                               hsic-unformatted backprop-1024)
data=(--data "$dir/train-images-idx3-ubyte.gz" --labels "$dir/train-labels-idx1-ubyte.gz"
      --test "$dir/t10k-images-idx3-ubyte.gz" --test-labels "$dir/t10k-labels-idx1-ubyte.gz")
adam=(--optimizer adam --lr 0.001 --batch-size 64 --init torch)
mkdir -p "$out"
for run in "${runs[@]}"; do
  file="$out/$run.json"
  [ -s "$file" ] && continue
  case $run in
    dgl-dense) args=(--method dgl --arch dense:256x3 --epochs 10) ;;
    backprop-dense) args=(--method backprop --arch dense:256x3 "${adam[@]}" --epochs 30) ;;
    dgl-conv) args=(--method dgl --arch conv:64:1,2,2:bn --epochs 2) ;;
    backprop-conv) args=(--method backprop --arch conv:64:1,2,2:bn "${adam[@]}" --epochs 6) ;;
    hsic-format) args=(--method hsic-bottleneck) ;;
    backprop-hsic) args=(--method backprop --arch dense:128x7:bn --lr 0.001 --momentum 0 --weight-decay 1e-5
                         --batch-size 256 --epochs 5 --init torch) ;;
    hsic-unformatted*) args=(--method hsic-bottleneck --hsic-output unformatted --arch dense:1024x7:bn
                             --hsic-sigma 6 --hsic-beta 1000 --lr 0.01 --batch-size 256 --epochs 5
                             --seed "$(sed -n 's/.*-seed//p' <<<"$run" | grep . || echo 0)") ;;
    dgl-dense-30) args=(--method dgl --arch dense:256x3 --epochs 30) ;;
    backprop-1024) args=(--method backprop --arch dense:1024x7:bn --lr 0.01 --momentum 0 --weight-decay 1e-5
                         --batch-size 256 --epochs 5 --init torch) ;;
    *) echo "unknown run $run" >&2; exit 2 ;;
  esac
  "$lwnet" train "${data[@]}" "${args[@]}" --device "${DEVICE:-cpu}" --json > "$file.part"
  mv "$file.part" "$file"
  echo "$run $(/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["test_accuracy"], round(r["fit_seconds"], 1))' "$file")"
done
