#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build lwnet (Release), and compute the
# kernel figures of the embedded UCI Wine data on the best device (GPU when usable, else CPU).
# Extra arguments go to `lwnet hsic` (e.g. --device cpu, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target lwnet_cli
exec ./build/release/bin/lwnet hsic "$@"
