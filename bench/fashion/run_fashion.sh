#!/usr/bin/env bash
# The closed-form network on the full Fashion-MNIST training set (60000 x 784, exact kernels,
# product defaults: standardised with the training statistics, exact rho, k-NN), tested on the
# 10000 test images. Reports accuracy, layers, fit time and peak resident memory as JSON.
#   bash bench/fashion/run_fashion.sh [--device auto|cpu|cuda] [any lwnet train option]
# Data: Debian's dataset-fashion-mnist (IDX files in /usr/share/datasets/fashion-mnist), or the
# folder named by FASHION_MNIST_DIR. Output: bench/results/fashion-<device>.json (+ .log).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
if [[ ! -f $dir/train-images-idx3-ubyte.gz ]]; then
  echo "run_fashion: no Fashion-MNIST in $dir: apt-get install dataset-fashion-mnist, or set FASHION_MNIST_DIR" >&2
  exit 1
fi
lwnet=${LWNET:-build/release/bin/lwnet}
given="$*"
device=auto
args=()
while (($#)); do
  case $1 in
    --device) device=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
tag=$("$lwnet" info | sed -n 's/^--device auto: \([a-z]*\).*/\1/p')
[[ $device != auto ]] && tag=${device%%:*}
out=bench/results/fashion-$tag
mkdir -p bench/results
# --json: one object on stdout, no progress lines; /usr/bin/time's report goes to the log.
/usr/bin/time -v "$lwnet" train --device "$device" \
  --data "$dir/train-images-idx3-ubyte.gz" --labels "$dir/train-labels-idx1-ubyte.gz" \
  --test "$dir/t10k-images-idx3-ubyte.gz" --test-labels "$dir/t10k-labels-idx1-ubyte.gz" \
  --json "${args[@]}" >"$out.json.tmp" 2>"$out.log"
peak_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out.log")
python3 - "$out.json.tmp" "$peak_kb" "$out.json" "$given" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
result["peak_host_memory_gb"] = int(sys.argv[2]) / 1e6
result["command"] = "bash bench/fashion/run_fashion.sh " + sys.argv[4]
json.dump(result, open(sys.argv[3], "w"), indent=1)
print(json.dumps({k: result.get(k) for k in ("device", "layers", "hsic", "train_accuracy", "test_accuracy",
                                              "fit_seconds", "peak_host_memory_gb")}))
PY
rm -f "$out.json.tmp"
