#!/usr/bin/env bash
# All tests on a fresh machine: install dependencies, build everything (Release) and run ctest;
# then the CPU build again under AddressSanitizer + UndefinedBehaviorSanitizer (Clang, the
# 'sanitize' preset), which also replays the fuzz corpus and fuzzes each input reader for
# LWNET_FUZZ_SECONDS (15 s). Without a GPU the CUDA suites (Cuda*) are reported as skipped, with
# the reason. The Release stage includes the Python package's tests (python_*, against
# build/pyenv from scripts/python-env.sh) and then `pip install .` into a fresh virtual
# environment (scripts/test-pip-install.sh). LWNET_SKIP_SANITIZE=1 runs the Release stage only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
ctest --preset release

# Results must not depend on the thread count under any OpenBLAS kernel choice: some machines set
# OPENBLAS_CORETYPE=Haswell (and OPENBLAS_L2_SIZE) in the environment. Whatever this machine sets,
# the thread-count tests run again with the variables unset and with Haswell's kernels (when the
# CPU has AVX2, which they need).
determinism='Determinism|thread_independence'
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ctest --preset release -R "$determinism"
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  OPENBLAS_CORETYPE=Haswell ctest --preset release -R "$determinism"
fi

# The Python package as a user installs it: pip, a fresh venv, an import and a tiny fit.
bash scripts/test-pip-install.sh

if [[ ${LWNET_SKIP_SANITIZE:-0} == 1 ]]; then
  echo "test.sh: LWNET_SKIP_SANITIZE=1: the sanitizer and fuzzing stage is skipped"
  exit 0
fi
if echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then
  preset=sanitize
else
  preset=asan  # GCC: the same sanitizers, the fuzz corpus replayed without libFuzzer
  echo "test.sh: no clang++ with libFuzzer here: the '$preset' preset (GCC) runs instead, without fuzzing"
fi
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
