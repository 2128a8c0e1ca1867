#!/usr/bin/env bash
# The main job for a new user: installs what is missing, builds ewcl in build/, lists the
# OpenCL devices, and builds every kernel on the best one.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}"

cmake -S . -B build -DEWCL_BUILD_TESTS=OFF
cmake --build build -j"$(nproc)"

echo "== OpenCL devices (* = the one ewcl will use) =="
build/ewcl devices
echo
echo "== Building every kernel on that device =="
build/ewcl warmup "$@"
