#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors, shows the
# OpenCL devices, and runs every test with a device required. Exit status = test result.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}" "${EWCL_TEST_PACKAGES[@]}"

build=${EWCL_BUILD_DIR:-build}
cmake -S . -B "$build" -DEWCL_WERROR=ON -DEWCL_BUILD_TESTS=ON ${EWCL_CMAKE_ARGS:-}
cmake --build "$build" -j"$(nproc)"

echo "== OpenCL devices =="
"$build/ewcl" devices || true

cd "$build"
EWCL_REQUIRE_DEVICE=1 ctest --output-on-failure -j"$(nproc)"
