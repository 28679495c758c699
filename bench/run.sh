#!/usr/bin/env bash
# One command for every performance figure: builds the release preset, then
#   1. the micro-benchmark suite (CPU, plus CUDA when a GPU is usable)   -> bench/results/micro-<tag>.json
#   2. the numpy+scikit-learn / PyTorch / pykeops baselines on the same shapes -> bench/results/baselines-<tag>.json
#   3. the paper's ten-fold reproduction, cifar10 against the reference's 130 s per fold
#      (bench/nik/reproduce_paper.py; needs ../shared/data/nik)  -> docs/RESULTS.md, bench/results/nik-<device>.json
#   4. docs/PERFORMANCE.md and docs/performance.png rendered from the JSON (bench/report/report.py).
# <tag> is "cpu" on a machine without a GPU and "gpu" with one.
#   bash bench/run.sh [--quick] [--skip-paper]
# --quick: n <= 1e4 only (minutes instead of about an hour on two cores). The baselines need
# Python with numpy, scikit-learn, matplotlib and (optionally) torch: Debian python3-sklearn,
# python3-matplotlib, python3-torch (scripts/install-deps.sh --bench installs them).
# Not run here: bench/select/compare_selection.py (`--select hsic` vs `validation`) -> bench/results/select-cpu.json.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
paper=1
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    --skip-paper) paper=0 ;;
    *) echo "usage: bash bench/run.sh [--quick] [--skip-paper]" >&2; exit 2 ;;
  esac
done

python=
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c "import numpy, sklearn, matplotlib" 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [[ -z $python ]]; then
  echo "bench/run.sh: no Python with numpy, scikit-learn and matplotlib; run: sudo bash scripts/install-deps.sh --bench" >&2
  exit 1
fi

source scripts/env.sh
cmake --preset release >/dev/null
cmake --build --preset release
lwnet=build/release/bin/lwnet
tag=cpu
if "$lwnet" info 2>/dev/null | grep -q "^--device auto: cuda"; then tag=gpu; fi
mkdir -p bench/results

sizes=(1000 10000 100000)
filter=.
if ((quick)); then
  sizes=(1000 10000)
  filter='(ceiling|/n:(1000|10000)/)'
fi

echo "== micro-benchmarks ($tag)"
build/release/bench/lwnet_bench --benchmark_filter="$filter" --benchmark_min_time=0.2 \
  --benchmark_out="bench/results/micro-$tag.json" --benchmark_out_format=json \
  --benchmark_context=command="bash bench/run.sh $*"

echo "== baselines"
devices=cpu
if [[ $tag == gpu ]]; then devices=all; fi
# pykeops is on PyPI only: fetched into build/bench-python when pip can reach PyPI (it compiles
# its kernels with g++ on first use); without it the baseline is recorded as unavailable.
extra=build/bench-python
if ! "$python" -c "import pykeops" 2>/dev/null && [[ ! -d $extra/pykeops ]]; then
  "$python" -m pip install -q --no-deps --target "$extra" pykeops==2.3 keopscore==2.3 pybind11 ||
    echo "bench/run.sh: pykeops could not be installed; its baseline is recorded as unavailable"
fi
# Cases estimated to take over 2 minutes are recorded as skipped, with the estimate.
"$python" bench/baselines/baselines.py --n "${sizes[@]}" --device "$devices" --time-limit 120 \
  --extra-path "$extra" --out "bench/results/baselines-$tag.json"

if ((paper)); then
  echo "== paper reproduction (5 seeds)"
  "$python" bench/nik/reproduce_paper.py --seeds 0 1 2 3 4 || echo "bench/run.sh: reproduction incomplete (see above)"
fi

echo "== report"
"$python" bench/report/report.py --micro "bench/results/micro-$tag.json" --baselines "bench/results/baselines-$tag.json"
