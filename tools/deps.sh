# Sourced by tools/test.sh and tools/quickstart.sh: the Debian packages ewcl needs, and an
# installer that touches apt only when something is missing (so both scripts also work
# offline once everything is installed).

# Build: compiler, CMake, and the libraries the library and program link.
EWCL_BUILD_PACKAGES=(gcc make cmake pkg-config ocl-icd-opencl-dev opencl-headers
  libclblast-dev zlib1g-dev libcjson-dev check)
# Run: an OpenCL driver for the CPU.
EWCL_RUN_PACKAGES=(pocl-opencl-icd)
# Data: Fashion-MNIST as IDX files (MNIST's format and shapes) for the main job.
EWCL_DATA_PACKAGES=(dataset-fashion-mnist)
# Tests: the Oclgrind simulator as a second platform and a correctness witness.
EWCL_TEST_PACKAGES=(oclgrind)
# Hardening passes of tools/test.sh and tools/fuzz.sh: clang with libFuzzer and the
# sanitizer runtimes, and Valgrind's memcheck.
EWCL_FUZZ_PACKAGES=(clang libclang-rt-dev)
EWCL_MEMCHECK_PACKAGES=(valgrind)

ewcl_missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      printf '%s\n' "$pkg"
  done
}

ewcl_install_missing() {
  local missing
  mapfile -t missing < <(ewcl_missing_packages "$@")
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "ewcl: installing missing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "ewcl: these packages are missing and I am not root: ${missing[*]}" >&2
      echo "ewcl: install them with: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
