#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build lwnet (Release), and train the
# closed-form layer-wise network on the embedded UCI Wine data (30% held out for testing) on the
# best device (GPU when usable, else CPU), printing per-layer progress and the accuracies.
# Extra arguments go to `lwnet train` (e.g. --device cpu, --json, --out model.safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target lwnet_cli
exec ./build/release/bin/lwnet train --test-fraction 0.3 "$@"
