#!/usr/bin/env bash
# CI check of the Python package as a user installs it: `pip install .` from this source tree into
# a fresh virtual environment (over Debian's python3 and its numpy / scikit-learn), then, from
# another folder, import lwnet, fit and score a tiny model, and run examples/python. pip fetches
# the build tools (scikit-build-core, nanobind) from PyPI. Built without the CUDA backend unless
# LWNET_PIP_CUDA=ON (a plain `pip install .` builds it where nvcc is found; here it would only
# cost time), with the build's parallelism of CMAKE_BUILD_PARALLEL_LEVEL (default: 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/lwnet-pip.XXXXXX")
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --config-settings=cmake.define.LWNET_ENABLE_CUDA="${LWNET_PIP_CUDA:-OFF}" .
cd "$work"
"$work/venv/bin/python" - <<'PY'
import numpy as np
import lwnet

rng = np.random.RandomState(0)
X = np.concatenate([rng.normal(0, 1, (40, 3)), rng.normal(3, 1, (40, 3))]).astype(np.float32)
y = np.repeat([0, 1], 40)
clf = lwnet.KMENetworkClassifier(random_state=0).fit(X, y)
score = clf.score(X, y)
assert score > 0.9, score
assert lwnet.__file__.startswith(lwnet.__path__[0]) and "site-packages" in lwnet.__file__, lwnet.__file__
print(f"test-pip-install: lwnet {lwnet.version()} from {lwnet.__path__[0]}: devices {lwnet.devices()}, "
      f"accuracy {score:.3f}, HSIC {lwnet.hsic(X, y):.4f}")
PY
# The Python example against the installed package (ctest package_examples compares its figures
# with the C and C++ examples' and the tool's); it fails when its saved models predict otherwise.
"$work/venv/bin/python" "$source_dir/examples/python/fit_and_predict.py"
