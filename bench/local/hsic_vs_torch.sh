#!/usr/bin/env bash
# The cost of an HSIC-bottleneck epoch (spec 4, the code's dense:128x7:bn, batch 512) in lwnet
# against the same algorithm written in PyTorch (bench/local/hsic_torch.py: float32, explicit
# inverses, autograd), one after the other on the same machine and thread count, full
# Fashion-MNIST; then each one's test accuracy after its 2 format-readout epochs.
# Usage: bash bench/local/hsic_vs_torch.sh [LWNET_BINARY] [FASHION_DIR] [OUT_DIR] [THREADS]
set -euo pipefail
lwnet=${1:-build/release/bin/lwnet}
dir=${2:-/usr/share/datasets/fashion-mnist}
out=${3:-$(mktemp -d)}
threads=${4:-2}
mkdir -p "$out"
OMP_NUM_THREADS=$threads "$lwnet" train --method hsic-bottleneck --epochs 2 --readout-epochs 2 \
  --data "$dir/train-images-idx3-ubyte.gz" --labels "$dir/train-labels-idx1-ubyte.gz" \
  --test "$dir/t10k-images-idx3-ubyte.gz" --test-labels "$dir/t10k-labels-idx1-ubyte.gz" --device cpu --json \
  > "$out/hsic-lwnet.json"
/usr/bin/python3 bench/local/hsic_torch.py --data-dir "$dir" --epochs 2 --readout-epochs 2 --threads "$threads" \
  | tail -n 1 > "$out/hsic-torch.json"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
lw = json.load(open(f"{out}/hsic-lwnet.json"))
th = json.load(open(f"{out}/hsic-torch.json"))
def hidden(epochs): return [e["seconds"] for e in epochs if e.get("stage") == "hidden layers"]
a, b = hidden(lw["epochs"]), hidden(th["epochs"])
print(f"hidden-layer epoch: lwnet {sum(a)/len(a):.1f} s, PyTorch {sum(b)/len(b):.1f} s, ratio {sum(a)/len(a) / (sum(b)/len(b)):.2f}")
print(f"test accuracy after the readout: lwnet {lw['epochs'][-1]['test_accuracy']:.4f}, PyTorch {th['epochs'][-1]['test_accuracy']:.4f}")
PY
