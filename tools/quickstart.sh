#!/usr/bin/env bash
# The main job for a new user: installs what is missing (the data included), builds ewcl in
# build/, lists the OpenCL devices, then trains on permuted Fashion-MNIST on the best device
# twice — plain SGD, then with EWC — printing each run's accuracy matrix and summary.
#   tools/quickstart.sh            pytorch-ewc's experiment: 8 tasks x 3 epochs (minutes)
#   tools/quickstart.sh --short    3 tasks x 1 epoch (well under a minute)
# Other arguments go to both `ewcl train` runs (e.g. --device basic, --random-seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}" "${EWCL_DATA_PACKAGES[@]}"

cmake -S . -B build -DEWCL_BUILD_TESTS=OFF
cmake --build build -j"$(nproc)"

run_args=()
for arg in "$@"; do
  if [ "$arg" = "--short" ]; then
    run_args+=(--task-number 3 --epochs-per-task 1)
  else
    run_args+=("$arg")
  fi
done

echo "== OpenCL devices (* = the one ewcl will use) =="
build/ewcl devices
echo
echo "== Plain SGD: tasks learned one after another, nothing protects the old ones =="
build/ewcl train --quiet "${run_args[@]}"
echo
# EWC as pytorch-ewc applies it (the latest task's Fisher and parameters): with its lr and
# lambda, the paper's per-task sum makes the explicit step unstable by task 8 (see
# --penalty-step implicit in `ewcl train --help`).
echo "== EWC (--consolidate --ewc-mode overwrite): old tasks kept by the penalty =="
build/ewcl train --quiet --consolidate --ewc-mode overwrite "${run_args[@]}"
