#!/usr/bin/env bash
# Every speed figure of the project in one run, beside its peers on the same work:
#   1. builds ewcl (Release) in $EWCL_BUILD_DIR (default build-release);
#   2. runs every `ewcl bench` measurement (startup, gemm, step, fisher, update, epoch) on
#      every usable device (or on $EWCL_BENCH_DEVICES, selectors separated by ';');
#   3. the peers, each where it is installed, with its best settings on this kind of machine:
#      - OpenBLAS's cblas_sgemm at ewcl's GEMM shapes (tools/openblas_probe.c, built when
#        libopenblas-dev is installed), with OpenBLAS's own core detection: OPENBLAS_CORETYPE
#        and OPENBLAS_L2_SIZE, which force its slower AVX2 kernels, are unset for that
#        command only; threads = cores;
#      - tools/torch_reference.py (PyTorch, /usr/bin/python3) for one epoch at 1 thread and
#        at one per core (OMP_WAIT_POLICY=PASSIVE: idle threads sleep), then, at the faster
#        of the two, for the whole default --consolidate --ewc-mode overwrite run, each
#        beside `ewcl train` on the same settings;
#   4. writes $EWCL_BUILD_DIR/bench/bench.md (the Markdown the README's "Performance" quotes:
#      machine, date, load, every figure and the ratios ewcl / peer) and prints it.
# --quick: tiny sizes and a 2-task run, to check the script itself (its figures mean
# nothing). The CPU must be otherwise idle for figures worth quoting: the load average before
# and after is in the report.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument '$arg' (--quick, --help)" >&2; exit 2 ;;
  esac
done

ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}" \
  "${EWCL_DATA_PACKAGES[@]}"
build="${EWCL_BUILD_DIR:-build-release}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DEWCL_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target ewcl >/dev/null
ewcl="$build/ewcl"
out="$build/bench"
rm -rf "$out"
mkdir -p "$out"

if [ "$quick" = 1 ]; then
  gemm_args=(--shapes model --seconds 0.02)
  step_args=(--batch 32 --steps 5)
  fisher_args=(--samples 64 --batch 64 --labels true)
  startup_args=(--repeat 1)
  epoch_args=(--epochs 1)
  run_args=(--task-number 2 --epochs-per-task 1)
  mode="--quick (a check of the script: these figures mean nothing)"
else
  gemm_args=()
  step_args=()
  fisher_args=()
  startup_args=()
  epoch_args=()
  run_args=()
  mode="full run"
fi

# The devices: $EWCL_BENCH_DEVICES, else every usable one by flat index.
if [ -n "${EWCL_BENCH_DEVICES:-}" ]; then
  IFS=';' read -r -a devices <<<"$EWCL_BENCH_DEVICES"
else
  mapfile -t devices < <("$ewcl" devices --json | /usr/bin/python3 -c '
import json, sys
for d in json.load(sys.stdin)["devices"]:
    if d["usable"]:
        print(d["index"])')
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before="$(load)"

for i in "${!devices[@]}"; do
  device="${devices[$i]}"
  echo "== device $i: $device =="
  for bench in startup gemm step fisher update epoch; do
    case "$bench" in
      startup) args=("${startup_args[@]}") ;;
      gemm) args=("${gemm_args[@]}") ;;
      step) args=("${step_args[@]}") ;;
      fisher) args=("${fisher_args[@]}") ;;
      epoch) args=("${epoch_args[@]}") ;;
      *) args=() ;;
    esac
    echo "   ewcl bench $bench ${args[*]}"
    "$ewcl" bench "$bench" --device "$device" --json "${args[@]}" >"$out/device$i-$bench.json"
  done
done

# OpenBLAS at the first device's GEMM shapes.
if [ -z "$(ewcl_missing_packages libopenblas-dev)" ]; then
  echo "== OpenBLAS cblas_sgemm (its own core detection, $(nproc) threads) =="
  cc -O2 -std=c17 tools/openblas_probe.c -o "$build/openblas_probe" -lopenblas -lcjson
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$(nproc)" \
    "$build/openblas_probe" <"$out/device0-gemm.json" >"$out/openblas.json"
else
  echo "== OpenBLAS: not installed (apt-get install libopenblas-dev to measure it) =="
fi

# PyTorch: one epoch at 1 thread and at one per core — which is faster depends on the
# machine (on one 2-core VM 1 thread was, on another 2) — then the whole default EWC run at
# the faster; ewcl train beside each on the same settings (the device ewcl picks, or
# $EWCL_DEVICE).
torch_reference() { # THREADS NAME ARGS...: one run into $out/NAME
  local threads=$1 name=$2
  shift 2
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tools/torch_reference.py --threads "$threads" "$@" \
    --quiet --log-dir "$out/$name" >"$out/$name.txt"
}
train_seconds() { # RUN_DIR: the training seconds of its summary.json
  /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["seconds"]["train"])' \
    "$1/summary.json"
}
if [ -f tools/torch_reference.py ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  epoch=(--task-number 1 --epochs-per-task 1)
  echo "== ewcl train and PyTorch (1 thread and $(nproc)): ${epoch[*]} =="
  "$ewcl" train "${epoch[@]}" --quiet --log-dir "$out/ewcl-epoch" >"$out/ewcl-epoch.txt"
  best=""
  for threads in $(printf '%s\n' 1 "$(nproc)" | sort -nu); do
    torch_reference "$threads" "torch-epoch-$threads" "${epoch[@]}"
    seconds=$(train_seconds "$out/torch-epoch-$threads")
    if [ -z "$best" ] || awk -v a="$seconds" -v b="$best_seconds" 'BEGIN { exit !(a < b) }'; then
      best=$threads best_seconds=$seconds
    fi
  done
  cp -r "$out/torch-epoch-$best" "$out/torch-epoch"
  # pytorch-ewc's consolidation (overwrite): the paper's separate sum with the explicit step
  # can diverge at these settings in task 8 (seed 0 does), in which case nothing would be
  # timed.
  args=(--consolidate --ewc-mode overwrite "${run_args[@]}")
  echo "== ewcl train and PyTorch ($best thread(s)): ${args[*]} =="
  "$ewcl" train "${args[@]}" --quiet --log-dir "$out/ewcl-run" >"$out/ewcl-run.txt"
  torch_reference "$best" torch-run "${args[@]}"
else
  echo "== PyTorch: not installed (apt-get install python3-torch) or no tools/torch_reference.py =="
fi

/usr/bin/python3 - "$out/machine.json" "$load_before" "$(load)" "$mode" <<'EOF'
import json, platform, subprocess, sys, time
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), platform.processor())
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
json.dump({"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": cores,
           "load_before": sys.argv[2], "load_after": sys.argv[3], "mode": sys.argv[4]},
          open(sys.argv[1], "w"))
EOF
/usr/bin/python3 tools/bench_table.py "$out" >"$out/bench.md"
echo
cat "$out/bench.md"
echo "(written to $out/bench.md)"
