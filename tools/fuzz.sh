#!/usr/bin/env bash
# Fuzzes every target of tests/fuzz/ with libFuzzer for SECONDS (default 30), all targets at
# once: builds them with clang (address + undefined sanitizers, coverage of the library too)
# in $EWCL_FUZZ_BUILD_DIR (default build-fuzz), runs each on a working copy of its seed
# corpus (so new inputs do not clutter tests/), and prints the executions per target. A
# crash fails with the input's path: fix it, then keep the input as a regression case with
#   cp <input> tests/fuzz/corpus/<target>/regression-<what-it-broke>
# which every ctest run then replays.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
case $seconds in
  '' | *[!0-9]* | 0) echo "usage: tools/fuzz.sh [SECONDS per target, default 30]" >&2; exit 2 ;;
esac
source tools/deps.sh
ewcl_install_missing "${EWCL_BUILD_PACKAGES[@]}" "${EWCL_FUZZ_PACKAGES[@]}"

build=${EWCL_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEWCL_FUZZ=ON -DEWCL_SANITIZE=address,undefined -DEWCL_WERROR=ON \
  >/dev/null
targets=$(sed -n 's/^set(EWCL_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' $targets) >/dev/null

# A sanitizer report of any kind is a crash of that input; UBSan would otherwise only print.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The library links the OpenCL ICD loader, whose own allocations LeakSanitizer must not
# blame on us (the selector and IDX targets never open a platform, so none are expected).
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0
# All targets at once: libFuzzer runs one process per target, so on N cores N of them
# share the wall-clock time instead of queueing for it.
pids=()
for target in $targets; do
  work="$build/fuzz-work/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -n tests/fuzz/corpus/"$target"/* "$work/corpus/" 2>/dev/null || true
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzz.log" 2>&1 &
  pids+=("$!")
done
status=0
set -- $targets
for pid in "${pids[@]}"; do
  target=$1
  shift
  work="$build/fuzz-work/$target"
  if wait "$pid"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
    coverage=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -1)
    printf '%-10s %10s executions in %ss (%s/s), %s\n' "$target" "$runs" "$seconds" \
      "$((runs / seconds))" "$coverage"
  else
    echo "fuzz_$target: CRASH — see $work/fuzz.log; input:" >&2
    ls "$work/artifacts" >&2
    tail -40 "$work/fuzz.log" >&2
    status=1
  fi
done
exit $status
