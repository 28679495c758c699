#!/usr/bin/env bash
# Run ON THE GPU MACHINE (CUDA toolkit, CMake and Python, but none of lwnet's other build
# dependencies and no network), with .gpu-bundle/ from scripts/gpu-bundle.sh carried along.
# One command: unpack the bundle, build for sm_90, run the whole test suite (CUDA parity tests
# included), the CUDA benchmarks, the PyTorch/KeOps CUDA baselines, the paper reproduction, the
# full Fashion-MNIST fit, the main job and n = 1e6 runs of `lwnet bench`, and the K.B kernel
# variants (bench/variants). Logs and JSON go to $OUT (or build/gpu-out), 8 files, as many as the
# device tool returns: machine.txt (the machine, then the build log), ctest.txt, micro-gpu.json,
# variants-gpu.json (both variant shapes, a JSON array), baselines-gpu.json, nik-cuda.json,
# fashion-cuda.json, main.txt (every other log). Copy the JSON into bench/results/ and run bench/report/report.py
# with --micro bench/results/micro-gpu.json to add them to docs/PERFORMANCE.md.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build/gpu-out}
mkdir -p "$out"
bundle=$PWD/.gpu-bundle
root=$bundle/root
build=build/gpu
status=0

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
  export CMAKE_PREFIX_PATH="$root/usr:$libdir/cmake:$root/usr/share/cmake${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export CMAKE_LIBRARY_PATH="$libdir/openblas-openmp:$libdir"
  export LD_LIBRARY_PATH="$libdir/openblas-openmp:$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  gtest_src=(-DLWNET_GTEST_SOURCE_DIR="$bundle/src/googletest")
else
  echo "gpu-run: no .gpu-bundle/ (run scripts/gpu-bundle.sh here first); using the machine's own packages"
  gtest_src=()
fi

configure() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DLWNET_ENABLE_CUDA=ON "${gtest_src[@]}" "$@"
}
echo "== configure and build"
if ! configure >>"$out/machine.txt" 2>&1; then
  tail -n 40 "$out/machine.txt"
  echo "gpu-run: configure failed" >&2
  exit 1
fi
if ! cmake --build "$build" -j "$(nproc)" >>"$out/machine.txt" 2>&1; then
  grep -E "error|FAILED" "$out/machine.txt" | head -n 40
  echo "gpu-run: build failed" >&2
  exit 1
fi

echo "== tests"
ctest --test-dir "$build" --output-on-failure -j 8 >"$out/ctest.txt" 2>&1 || status=1
# compute-sanitizer over the CUDA suites: out-of-bounds/misaligned accesses, then shared-memory races.
for tool in memcheck racecheck; do
  echo "== compute-sanitizer --tool $tool" >>"$out/ctest.txt"
  timeout 240 compute-sanitizer --tool "$tool" --error-exitcode 1 "$build/tests/lwnet_cuda_tests" \
    --gtest_filter='Cuda*' >>"$out/ctest.txt" 2>&1 || status=1
  tail -n 3 "$out/ctest.txt"
done
tail -n 25 "$out/ctest.txt"

echo "== benchmarks (CUDA grid only; the CPU figures come from the CPU machine)"
if [[ -x $build/bench/lwnet_bench ]]; then
  "$build/bench/lwnet_bench" --benchmark_filter='/cuda/' --benchmark_out="$out/micro-gpu.json" \
    --benchmark_out_format=json --benchmark_min_time=0.2 --benchmark_context=command="bash scripts/gpu-run.sh" \
    >>"$out/main.txt" 2>&1 || status=1
  tail -n 40 "$out/main.txt"
else
  echo "gpu-run: no benchmark binary (Google Benchmark missing?)"
fi

echo "== kernel variants of K.B (bench/variants: each checked against the CPU, then timed)"
if [[ -x $build/bench/variants/lwnet_variants ]]; then
  runs=()
  for d in 784 16; do
    json=$build/variants-d$d.json
    rm -f "$json"
    "$build/bench/variants/lwnet_variants" --n 100000 --d "$d" --c 10 --json "$json" \
      >>"$out/main.txt" 2>&1 || status=1
    [[ -s $json ]] && runs+=("$json")
  done
  # One file for both shapes (the device tool returns few files): a JSON array of the runs.
  { echo "["; for i in "${!runs[@]}"; do ((i > 0)) && echo ","; cat "${runs[$i]}"; done; echo "]"; } \
    >"$out/variants-gpu.json"
  tail -n 30 "$out/main.txt"
else
  echo "gpu-run: no lwnet_variants binary (CUDA backend or Google Benchmark missing?)"
fi

echo "== baselines (PyTorch and, when installed, KeOps on CUDA)"
python3 bench/baselines/baselines.py --device cuda --libraries torch pykeops --time-limit 60 \
  --out "$out/baselines-gpu.json" >>"$out/main.txt" 2>&1 || status=1

echo "== paper reproduction (10 folds x 8 datasets, seed 0)"
if [[ -d $bundle/nik ]] && command -v python3 >/dev/null; then
  python3 bench/nik/reproduce_paper.py --lwnet "$build/bin/lwnet" --data "$bundle/nik" --device cuda \
    --out-json "$out/nik-cuda.json" --out-md "$bundle/RESULTS-cuda.md" >>"$out/main.txt" 2>&1 || status=1
  grep -v "^running" "$out/main.txt" | tail -n 12
else
  echo "gpu-run: no .gpu-bundle/nik or no python3: reproduction skipped"
fi

echo "== Fashion-MNIST, full training set, exact kernels"
if [[ -d $bundle/fashion-mnist ]]; then
  FASHION_MNIST_DIR=$bundle/fashion-mnist LWNET=$build/bin/lwnet bash bench/fashion/run_fashion.sh --device cuda \
    >>"$out/main.txt" 2>&1 || status=1
  cp bench/results/fashion-cuda.json "$out/" 2>/dev/null || true
else
  echo "gpu-run: no .gpu-bundle/fashion-mnist: Fashion-MNIST skipped"
fi

echo "== main job"
"$build/bin/lwnet" info 2>&1 | tee -a "$out/machine.txt"
"$build/bin/lwnet" train --test-fraction 0.3 2>&1 | tee -a "$out/main.txt"
"$build/bin/lwnet" bench --op hsic --n 1000000 --d 16 --c 10 2>&1 | tee -a "$out/main.txt"
"$build/bin/lwnet" bench --n 1000000 --d 16 --c 10 --memory-budget 256M 2>&1 | tee -a "$out/main.txt"
exit $status
