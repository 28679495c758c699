#!/usr/bin/env bash
# The Python environment the build uses for lwnet's Python module (python/): a virtual environment
# in build/pyenv over Debian's python3 with its site packages (numpy, scikit-learn from
# scripts/install-deps.sh; Debian's Python is "externally managed", so pip installs go into a
# venv), plus nanobind and scikit-build-core from PyPI. Idempotent: when both are there already it
# only checks them. Prints nothing but a line on success; the venv's python is
# build/pyenv/bin/python (CMakePresets.json's release preset names it).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/pyenv
requirements=("nanobind==3.1.0" "scikit-build-core==1.1.2")

if [[ ! -x $venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if ! "$venv/bin/python" - "${requirements[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for requirement in sys.argv[1:]:
    name, wanted = requirement.split("==")
    if version(name) != wanted:
        sys.exit(1)
import numpy, sklearn  # Debian's, through --system-site-packages
PY
then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}"
fi
echo "python-env: $venv ($("$venv/bin/python" -c 'import nanobind, sys; print("Python", sys.version.split()[0], "nanobind", nanobind.__version__)'))"
