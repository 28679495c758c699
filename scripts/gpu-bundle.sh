#!/usr/bin/env bash
# Run HERE (a Debian machine with network) before a GPU run: gathers what the GPU machine lacks
# into .gpu-bundle/ (git-ignored), to be carried with the device call:
#   debs/  Debian packages of the build dependencies (unpacked there with dpkg -x)
#   src/   GoogleTest sources, built from source there if the packaged library does not load
#   nik/   the paper's ten-fold data (from ../shared/data/nik when present), for the reproduction
#   fashion-mnist/  the IDX files of Debian's dataset-fashion-mnist (31 MB), for the full fit
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=.gpu-bundle
rm -rf "$bundle"
mkdir -p "$bundle/debs" "$bundle/src"
# OpenBLAS's serial runtime only (gpu-run.sh makes the link-time name): the -dev package's static
# libraries would push the bundle past the device call's 64 MiB.
packages=(
  libopenblas0-serial libgfortran5
  libgtest-dev libbenchmark-dev libbenchmark1debian
  libcli11-dev nlohmann-json3-dev zlib1g-dev zlib1g
)
(cd "$bundle/debs" && apt-get download "${packages[@]}")
cp -r /usr/src/googletest "$bundle/src/googletest"
if [[ -d ../shared/data/nik ]]; then
  cp -r ../shared/data/nik "$bundle/nik"
else
  echo "gpu-bundle: ../shared/data/nik not found: the GPU run will skip the paper reproduction"
fi
if [[ -d /usr/share/datasets/fashion-mnist ]]; then
  cp -r /usr/share/datasets/fashion-mnist "$bundle/fashion-mnist"
else
  echo "gpu-bundle: no Fashion-MNIST (apt-get install dataset-fashion-mnist): the GPU run will skip it"
fi
du -sh "$bundle"
# The device call carries the working tree and this folder: 64 MiB in all.
size_mb=$(du -sm "$bundle" | cut -f1)
tree_mb=$(git ls-files -z | du -cm --files0-from=- | tail -n 1 | cut -f1)
if ((size_mb + tree_mb > 62)); then
  echo "gpu-bundle: WARNING: bundle ${size_mb} MB + working tree ${tree_mb} MB is close to the 64 MiB a device call carries" >&2
fi
echo "gpu-bundle: ready; carry .gpu-bundle and run: bash scripts/gpu-run.sh"
