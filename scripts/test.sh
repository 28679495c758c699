#!/usr/bin/env bash
# All tests on a fresh machine: install dependencies, build everything (Release) and run ctest.
# Without a GPU the CUDA suites (Cuda*) are reported as skipped, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
ctest --preset release
