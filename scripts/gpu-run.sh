#!/usr/bin/env bash
# Run ON THE GPU MACHINE (CUDA toolkit, CMake and Python, but none of lwnet's other build
# dependencies and no network), with .gpu-bundle/ from scripts/gpu-bundle.sh carried along.
#
# One command that ends within GPU_RUN_SECONDS (default 450) and returns what it has: phases run
# in order of value, each under its own time limit and never past the deadline (a phase with
# under 10 s left is skipped, and says so):
#   build (the tool, the CUDA module, the CUDA test binary, the benchmarks) -> the CUDA tests and
#   CPU-vs-CUDA parity -> compute-sanitizer memcheck and racecheck over the CUDA suites -> the
#   CUDA micro-benchmarks -> the K.B kernel variants -> the main job and n = 1e6 `lwnet bench`
#   runs -> trained networks (backprop) against PyTorch on CUDA -> the paper reproduction on
#   CUDA -> the full Fashion-MNIST fit -> the local kernel losses (dgl, hsic-bottleneck) on
#   Fashion-MNIST -> the Add task -> the PyTorch/KeOps CUDA baselines.
# Logs and JSON go to $OUT (or build/gpu-out), at most 8 files, as many as the device tool
# returns: machine.txt (the machine, then the build log), main.txt (the CUDA tests and the
# sanitizers first, then every other log), micro-gpu.json, variants-gpu.json (both variant
# shapes, a JSON array), net-gpu.json (bench/net/compare_torch.py), baselines-gpu.json,
# nik-cuda.json, fashion-cuda.json. Copy the JSON into bench/results/ and run
# bench/report/report.py with --micro bench/results/micro-gpu.json to add them to
# docs/PERFORMANCE.md.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build/gpu-out}
mkdir -p "$out"
bundle=$PWD/.gpu-bundle
root=$bundle/root
build=build/gpu
status=0
deadline=$((SECONDS + ${GPU_RUN_SECONDS:-450}))
gtest_src=()
[[ -d $bundle/src/googletest ]] && gtest_src=(-DLWNET_GTEST_SOURCE_DIR="$bundle/src/googletest")

# The phases made of several commands run as `gpu-run.sh --step NAME`, so that `timeout` (which
# runs programs, not shell functions) can bound them.
step_build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DLWNET_ENABLE_CUDA=ON "${gtest_src[@]}" >>"$out/machine.txt" 2>&1 || return 1
  # What the GPU checks need; the CPU suites are CI's.
  local targets=(lwnet_cli lwnet_cuda_tests lwnet_cuda_backend)
  local known
  known=$(cmake --build "$build" --target help)
  grep -q "lwnet_cuda_stream_tests:" <<<"$known" && targets+=(lwnet_cuda_stream_tests)
  grep -q "lwnet_capi_tests:" <<<"$known" && targets+=(lwnet_capi_tests)
  grep -q "lwnet_bench:" <<<"$known" && targets+=(lwnet_bench)
  grep -q "lwnet_variants:" <<<"$known" && targets+=(lwnet_variants)
  cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >>"$out/machine.txt" 2>&1
}

step_variants() {
  local runs=() d json i
  for d in 784 16; do
    json=$build/variants-d$d.json
    rm -f "$json"
    "$build/bench/variants/lwnet_variants" --n 100000 --d "$d" --c 10 --json "$json" >>"$out/main.txt" 2>&1
    [[ -s $json ]] && runs+=("$json")
  done
  # One file for both shapes (the device tool returns few files): a JSON array of the runs.
  { echo "["; for i in "${!runs[@]}"; do ((i > 0)) && echo ","; cat "${runs[$i]}"; done; echo "]"; } \
    >"$out/variants-gpu.json"
}

step_main_job() {
  "$build/bin/lwnet" info
  "$build/bin/lwnet" train --test-fraction 0.3
  "$build/bin/lwnet" bench --op hsic --n 1000000 --d 16 --c 10
  "$build/bin/lwnet" bench --n 1000000 --d 16 --c 10 --memory-budget 256M
}

step_local_losses() {
  local f=$bundle/fashion-mnist
  local data=(--data "$f/train-images-idx3-ubyte.gz" --labels "$f/train-labels-idx1-ubyte.gz"
    --test "$f/t10k-images-idx3-ubyte.gz" --test-labels "$f/t10k-labels-idx1-ubyte.gz" --device cuda --json)
  "$build/bin/lwnet" train --method dgl --arch dense:256x3 --epochs 1 "${data[@]}"
  "$build/bin/lwnet" train --method hsic-bottleneck --epochs 1 --readout-epochs 2 "${data[@]}"
}

if [[ ${1:-} == --step ]]; then
  "step_$2"
  exit $?
fi

# phase NAME LIMIT COMMAND...: runs COMMAND under min(LIMIT, time left) seconds; a phase that
# fails or is stopped sets the exit status, and the run goes on.
phase() {
  local name=$1 limit=$2 left rc
  shift 2
  left=$((deadline - SECONDS))
  ((limit > left)) && limit=$left
  if ((limit < 10)); then
    echo "== $name: skipped, ${left}s left before the deadline"
    status=1
    return 0
  fi
  echo "== $name (at most ${limit}s)"
  timeout --kill-after=5 "$limit" "$@"
  rc=$?
  ((rc == 124 || rc == 137)) && echo "== $name: stopped at its ${limit}s limit"
  ((rc != 0)) && status=1
  return 0
}

{
  echo "== machine"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
  nvcc --version | tail -n 2
  cmake --version | head -n 1
  g++ --version | head -n 1
  grep PRETTY_NAME /etc/os-release || true
  ldd --version | head -n 1
} 2>&1 | tee "$out/machine.txt"

if [[ -d $bundle/debs ]]; then
  rm -rf "$root" && mkdir -p "$root"
  for deb in "$bundle"/debs/*.deb; do dpkg -x "$deb" "$root"; done
  libdir=$root/usr/lib/x86_64-linux-gnu
  # Only the runtime package travels (the -dev one holds static libraries, and the bundle must
  # stay small): the link-time name is made here.
  ln -sf libopenblas.so.0 "$libdir/openblas-serial/libopenblas.so"
  export CMAKE_PREFIX_PATH="$root/usr:$libdir/cmake:$root/usr/share/cmake${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export CMAKE_LIBRARY_PATH="$libdir"
  export LD_LIBRARY_PATH="$libdir/openblas-serial:$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
  echo "gpu-run: no .gpu-bundle/ (run scripts/gpu-bundle.sh here first); using the machine's own packages"
fi

phase "configure and build" 220 "$0" --step build
if [[ ! -x $build/tests/lwnet_cuda_tests || ! -x $build/bin/lwnet ]]; then
  grep -E "error|FAILED" "$out/machine.txt" | head -n 40
  echo "gpu-run: build failed or did not finish" >&2
  exit 1
fi

# The CUDA suites and the run-time backend choice (the CPU tests run in CI on every machine). Their
# log opens main.txt (the device tool returns 8 files, and net-gpu.json took the ninth).
tests_log=$out/main.txt
echo "== CUDA tests and parity" >>"$tests_log"
phase "CUDA tests and parity" 100 "$build/tests/lwnet_cuda_tests" >>"$tests_log" 2>&1
tail -n 25 "$tests_log"
# Caller streams and events (lwnet/cuda.hpp): a separate binary, as it links the CUDA runtime.
if [[ -x $build/tests/lwnet_cuda_stream_tests ]]; then
  echo "== caller streams and events" >>"$tests_log"
  phase "caller streams and events" 30 "$build/tests/lwnet_cuda_stream_tests" >>"$tests_log" 2>&1
  tail -n 5 "$tests_log"
fi
# The C API on the GPU backend (host views copied to the device and back; a backend on a stream).
if [[ -x $build/tests/capi/lwnet_capi_tests ]]; then
  echo "== C API on the GPU" >>"$tests_log"
  phase "C API on the GPU" 20 "$build/tests/capi/lwnet_capi_tests" --gtest_filter='*Gpu*:*Stream*' >>"$tests_log" 2>&1
  tail -n 5 "$tests_log"
fi
# compute-sanitizer: out-of-bounds/misaligned accesses, then shared-memory races.
for tool in memcheck racecheck; do
  echo "== compute-sanitizer --tool $tool" >>"$tests_log"
  phase "compute-sanitizer $tool" 60 compute-sanitizer --tool "$tool" --error-exitcode 1 \
    "$build/tests/lwnet_cuda_tests" --gtest_filter='Cuda*' >>"$tests_log" 2>&1
  tail -n 3 "$tests_log"
done

if [[ -x $build/bench/lwnet_bench ]]; then
  phase "CUDA micro-benchmarks" 60 "$build/bench/lwnet_bench" --benchmark_filter='/cuda/' \
    --benchmark_out="$out/micro-gpu.json" --benchmark_out_format=json --benchmark_min_time=0.05 \
    --benchmark_context=command="bash scripts/gpu-run.sh" >>"$out/main.txt" 2>&1
  tail -n 30 "$out/main.txt"
else
  echo "gpu-run: no benchmark binary (Google Benchmark missing?)"
fi

if [[ -x $build/bench/variants/lwnet_variants ]]; then
  phase "K.B kernel variants (each checked against the CPU, then timed)" 40 "$0" --step variants
else
  echo "gpu-run: no lwnet_variants binary (CUDA backend or Google Benchmark missing?)"
fi

phase "main job, n = 1e6" 40 "$0" --step main_job >>"$out/main.txt" 2>&1
tail -n 20 "$out/main.txt"

# Trained networks against PyTorch on CUDA (issue 11): a few epochs of each architecture on the full
# training set. compare_torch.py rewrites its JSON after each architecture, so a run stopped at the
# limit keeps the dense one.
if [[ -d $bundle/fashion-mnist ]] && command -v python3 >/dev/null; then
  echo "== trained networks (backprop) against PyTorch on CUDA" >>"$out/main.txt"
  phase "trained networks against PyTorch on CUDA" 60 env PYTHONUNBUFFERED=1 python3 bench/net/compare_torch.py \
    --device cuda --lwnet "$build/bin/lwnet" --data-dir "$bundle/fashion-mnist" \
    --arch dense:256x2=3 --arch conv:64:1,2,2=2 --frameworks lwnet torch --out "$out/net-gpu.json" \
    >>"$out/main.txt" 2>&1
  tail -n 12 "$out/main.txt"
else
  echo "gpu-run: no .gpu-bundle/fashion-mnist or no python3: the networks against PyTorch skipped"
fi

if [[ -d $bundle/nik ]] && command -v python3 >/dev/null; then
  phase "paper reproduction on CUDA (10 folds x 8 datasets, seed 0)" 60 python3 bench/nik/reproduce_paper.py \
    --lwnet "$build/bin/lwnet" --data "$bundle/nik" --device cuda --out-json "$out/nik-cuda.json" \
    --out-md "$bundle/RESULTS-cuda.md" >>"$out/main.txt" 2>&1
  grep -v "^running" "$out/main.txt" | tail -n 12
else
  echo "gpu-run: no .gpu-bundle/nik or no python3: reproduction skipped"
fi

if [[ -d $bundle/fashion-mnist ]]; then
  phase "Fashion-MNIST, full training set" 60 env FASHION_MNIST_DIR="$bundle/fashion-mnist" \
    LWNET="$build/bin/lwnet" bash bench/fashion/run_fashion.sh --device cuda >>"$out/main.txt" 2>&1
  cp bench/results/fashion-cuda.json "$out/" 2>/dev/null || true
else
  echo "gpu-run: no .gpu-bundle/fashion-mnist: Fashion-MNIST skipped"
fi

# The local kernel losses (issue 14) on the full Fashion-MNIST training set: an epoch per layer of
# dgl on dense:256x3 and an epoch of the HSIC bottleneck (7 x 128, 2 readout epochs), CUDA, each
# summary a JSON object appended to main.txt (their per-epoch times go into docs/PERFORMANCE.md).
if [[ -d $bundle/fashion-mnist ]]; then
  phase "local kernel losses on CUDA (dgl, hsic-bottleneck), Fashion-MNIST" 60 "$0" --step local_losses \
    >>"$out/main.txt" 2>&1
  tail -n 8 "$out/main.txt"
fi

# The Align paper's Add task (issue 13) at the widths the CPU did not reach (bench/results/add-task-*):
# each finished run is one JSON in $out/add-task-gpu, so a run stopped at the limit keeps the others.
phase "Add task on CUDA, widths 1024 and 4096" 45 env DEVICE=cuda bash bench/rules/add_task.sh "$build/bin/lwnet" \
  "$out/add-task-gpu" 1024 4096 >>"$out/main.txt" 2>&1

phase "baselines: PyTorch and, when installed, KeOps on CUDA" 60 python3 bench/baselines/baselines.py \
  --device cuda --libraries torch pykeops --time-limit 20 --out "$out/baselines-gpu.json" >>"$out/main.txt" 2>&1

echo "gpu-run: done in ${SECONDS}s, exit status $status"
exit $status
