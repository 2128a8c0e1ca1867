#!/usr/bin/env bash
# The main job for a new user: installs what is missing (the data included), builds ewcl in
# build/ (or $EWCL_BUILD_DIR), lists the OpenCL devices, then trains on permuted
# Fashion-MNIST on the best device twice — plain SGD, then with EWC — printing each run's
# summary, both side by side (`ewcl report`), and where their files and plots are.
#   tools/quickstart.sh            pytorch-ewc's experiment: 8 tasks x 3 epochs (minutes)
#   tools/quickstart.sh --short    3 tasks x 1 epoch (well under a minute)
# Other arguments go to both `ewcl train` runs (e.g. --device basic, --random-seed 1).
# The runs are saved in runs/<YYYYmmdd-HHMMSS>-plain and runs/<YYYYmmdd-HHMMSS>-ewc.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}" "${EWCL_DATA_PACKAGES[@]}"

build=${EWCL_BUILD_DIR:-build}
cmake -S . -B "$build" -DEWCL_BUILD_TESTS=OFF
cmake --build "$build" -j"$(nproc)"

run_args=()
for arg in "$@"; do
  if [ "$arg" = "--short" ]; then
    run_args+=(--task-number 3 --epochs-per-task 1)
  else
    run_args+=("$arg")
  fi
done

# One stamp for both runs, so that their folders sort and read as a pair.
stamp=$(date +%Y%m%d-%H%M%S)
plain="runs/$stamp-plain"
ewc="runs/$stamp-ewc"

echo "== OpenCL devices (* = the one ewcl will use) =="
"$build/ewcl" devices
echo
echo "== Plain SGD: tasks learned one after another, nothing protects the old ones =="
"$build/ewcl" train --quiet --log-dir "$plain" "${run_args[@]}"
echo
# EWC as pytorch-ewc applies it (the latest task's Fisher and parameters): with its lr and
# lambda, the paper's per-task sum makes the explicit step unstable by task 8 (see
# --penalty-step implicit in `ewcl train --help`).
echo "== EWC (--consolidate --ewc-mode overwrite): old tasks kept by the penalty =="
"$build/ewcl" train --quiet --consolidate --ewc-mode overwrite --log-dir "$ewc" "${run_args[@]}"
echo
echo "== Both runs side by side (ewcl report $plain $ewc) =="
"$build/ewcl" report "$plain" "$ewc"
echo
echo "Plots (open them in any browser): each task's test precision against iterations in"
echo "  $plain/accuracy.svg and $ewc/accuracy.svg,"
echo "the training losses in $plain/loss.svg and $ewc/loss.svg."
