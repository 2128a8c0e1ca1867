#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors, shows the
# OpenCL devices, and runs every test with a device required. Then the hardening stages:
#   sanitize  the suite again, built with AddressSanitizer + UBSan (clang when installed,
#             so that the same build also holds the fuzz targets); Oclgrind-labelled tests
#             are left out there — they simulate every work-item on the CPU, already run
#             in the suite above, and under ASan would take most of the CI budget — and so
#             are `slow` ones (the kill -9 loop: it tests files surviving, not memory)
#   fuzz      each libFuzzer target of tests/fuzz/ for $EWCL_FUZZ_SECONDS (30) seconds
#   memcheck  Valgrind's memcheck over the host-only tests built from ewcl's code
# $EWCL_TEST_STAGES picks the stages (default "suite sanitize fuzz memcheck"); a developer's
# quick run is EWCL_TEST_STAGES=suite tools/test.sh. Exit status = the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
stages=" ${EWCL_TEST_STAGES:-suite sanitize fuzz memcheck} "
wants() { [[ $stages == *" $1 "* ]]; }
packages=("${EWCL_BUILD_PACKAGES[@]}" "${EWCL_RUN_PACKAGES[@]}" "${EWCL_TEST_PACKAGES[@]}")
if wants sanitize || wants fuzz; then packages+=("${EWCL_FUZZ_PACKAGES[@]}"); fi
if wants memcheck; then packages+=("${EWCL_MEMCHECK_PACKAGES[@]}"); fi
ewcl_install_missing "${packages[@]}"

build=${EWCL_BUILD_DIR:-build}
sanitize_build=${EWCL_SANITIZE_BUILD_DIR:-build-sanitize}
jobs=$(nproc)
started=$SECONDS
stage() { echo "== $1 ($((SECONDS - started)) s so far) =="; }

# The tests whose command is a program built in $1 (not python, sh or cmake scripts), among
# those ctest selects with the rest of the arguments; as one -R pattern.
built_tests() {
  local dir
  dir=$(cd "$1" && pwd)
  shift
  (cd "$dir" && ctest -N -V "$@") | awk -v dir="$dir/" '
    / Test command: / { split($0, after, "Test command: "); split(after[2], word, " ")
                        command = word[1]; gsub(/"/, "", command) }
    /^ *Test +#[0-9]+: / { if (index(command, dir) == 1) { names = names sep "^" $NF "$"; sep = "|" } }
    END { print names }'
}

cmake -S . -B "$build" -DEWCL_WERROR=ON -DEWCL_BUILD_TESTS=ON ${EWCL_CMAKE_ARGS:-}
cmake --build "$build" -j"$jobs"

if wants suite; then
  stage "OpenCL devices"
  "$build/ewcl" devices || true
  stage "test suite"
  (cd "$build" && EWCL_REQUIRE_DEVICE=1 ctest --output-on-failure -j"$jobs")
fi

if wants sanitize || wants fuzz; then
  stage "sanitizer build"
  fuzz_args=()
  if command -v clang >/dev/null; then
    fuzz_args=(-DCMAKE_C_COMPILER=clang -DEWCL_FUZZ=ON)
  elif wants fuzz; then
    echo "ewcl: the fuzz stage needs clang (apt-get install ${EWCL_FUZZ_PACKAGES[*]})" >&2
    exit 1
  fi
  cmake -S . -B "$sanitize_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEWCL_WERROR=ON \
    -DEWCL_BUILD_TESTS=ON -DEWCL_SANITIZE=address,undefined "${fuzz_args[@]}" >/dev/null
  cmake --build "$sanitize_build" -j"$jobs"
fi

if wants sanitize; then
  stage "test suite under AddressSanitizer + UBSan"
  # The kernels compiled by the first pass, so that PoCL and ewcl load binaries instead of
  # compiling every program again inside instrumented processes (same source, same keys).
  for cache in pocl-cache test-area/ewcl-cache; do
    if [ -d "$build/$cache" ] && [ ! -d "$sanitize_build/$cache" ]; then
      mkdir -p "$(dirname "$sanitize_build/$cache")"
      cp -r "$build/$cache" "$sanitize_build/$cache"
    fi
  done
  tests=$(built_tests "$sanitize_build" -LE "oclgrind|slow")
  (cd "$sanitize_build" &&
    EWCL_REQUIRE_DEVICE=1 ctest --output-on-failure -j"$jobs" -LE "oclgrind|slow" -R "$tests")
fi

if wants fuzz; then
  stage "fuzzing"
  EWCL_FUZZ_BUILD_DIR=$sanitize_build tools/fuzz.sh "${EWCL_FUZZ_SECONDS:-30}"
fi

if wants memcheck; then
  stage "Valgrind memcheck of the host tests"
  tests=$(built_tests "$build" -L host)
  # Check forks every test and Valgrind follows forks; any error or definite leak fails.
  (cd "$build" && ctest -T memcheck -L host -R "$tests" -j"$jobs" --output-on-failure \
    --overwrite MemoryCheckCommand="$(command -v valgrind)" \
    --overwrite "MemoryCheckCommandOptions=--error-exitcode=1 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite")
fi
stage "done"
