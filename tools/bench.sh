#!/usr/bin/env bash
# Every speed figure of the project in one run: startup, GEMM (beside OpenBLAS when
# libopenblas-dev is installed) and the training step, on the device ewcl picks (or
# $EWCL_DEVICE / the flags given, e.g. tools/bench.sh --device basic).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target ewcl >/dev/null

echo "== machine =="
uptime
echo
echo "== startup =="
build/ewcl bench startup "$@"
echo
echo "== training step =="
build/ewcl bench step "$@"
echo
echo "== GEMM =="
if [ -z "$(ewcl_missing_packages libopenblas-dev)" ]; then
  cc -O2 -std=c17 tools/openblas_probe.c -o build/openblas_probe -lopenblas -lcjson
  # OpenBLAS's own core detection (AVX-512 kernels), 2 threads: some machines set
  # OPENBLAS_CORETYPE to an older core, which halves its speed.
  build/ewcl bench gemm --json "$@" |
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$(nproc)" build/openblas_probe
else
  echo "(install libopenblas-dev to measure OpenBLAS beside ewcl)"
  build/ewcl bench gemm "$@"
fi
