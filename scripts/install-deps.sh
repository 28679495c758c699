#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and test lwnet: compilers (GCC, and
# Clang with libFuzzer and OpenMP for the sanitizer stage), CMake, Ninja, OpenBLAS (serial build),
# GoogleTest, Google Benchmark, CLI11, nlohmann-json, Python's headers, venv, numpy and
# scikit-learn, then the build's Python environment (scripts/python-env.sh: build/pyenv with
# nanobind and scikit-build-core from PyPI); with
# --bench also the benchmark baselines' Python packages and the Fashion-MNIST data.
# As root it runs apt-get; otherwise it prints the command to run. The CUDA toolkit is not a
# Debian package: without nvcc lwnet builds its CPU backend only.
set -euo pipefail

packages=(
  g++ cmake ninja-build
  libopenblas-serial-dev  # lwnet threads itself; see cmake/LwnetDependencies.cmake
  libgtest-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev zlib1g-dev
  clang libomp-dev  # the sanitizer + libFuzzer stage of scripts/test.sh
  # The Python package (python/; the release preset builds and tests it): headers, a venv with pip
  # for nanobind and scikit-build-core (scripts/python-env.sh), numpy and scikit-learn.
  python3-venv python3-pip python3-dev python3-numpy python3-sklearn
)
# --bench: what bench/run.sh needs beyond the build: the Python baselines (numpy, scikit-learn,
# PyTorch), the plot (matplotlib) and the Fashion-MNIST data.
if [[ ${1:-} == --bench ]]; then
  packages+=(python3-numpy python3-sklearn python3-matplotlib python3-torch dataset-fashion-mnist)
elif [[ $# -gt 0 ]]; then
  echo "usage: bash scripts/install-deps.sh [--bench]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all build dependencies are installed"
else
  echo "install-deps: missing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

bash "$(dirname "$0")/python-env.sh"

if command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "install-deps: CUDA compiler found: the CUDA backend will be built"
else
  echo "install-deps: no nvcc (CUDA toolkit): building the CPU backend only"
fi
