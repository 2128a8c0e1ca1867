#!/bin/sh
# Installs ewcl into a temporary prefix, checks what `cmake --install` put there (library
# with its soname, static library, headers, program, pkg-config and CMake package files),
# then builds each example under tools/examples/ against it twice — with find_package(ewcl)
# and with `pkg-config --cflags --libs ewcl` — runs them and checks their output.
# Usage: test_install.sh SOURCE_DIR BUILD_DIR LIBDIR VERSION C_COMPILER
# Exit: 0 pass, 1 fail, 77 skipped (no OpenCL device, unless EWCL_REQUIRE_DEVICE=1).
set -eu
source_dir=$1 build_dir=$2 libdir=$3 version=$4 cc=$5
work=$(mktemp -d "${EWCL_TEST_AREA:-${TMPDIR:-/tmp}}/install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "test_install: $*" >&2; exit 1; }

cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || fail "cmake --install failed"

major=${version%%.*}
for f in "$libdir/libewcl.so" "$libdir/libewcl.so.$major" "$libdir/libewcl.so.$version" \
         "$libdir/libewcl.a" bin/ewcl "$libdir/pkgconfig/ewcl.pc" \
         "$libdir/cmake/ewcl/ewclConfig.cmake" "$libdir/cmake/ewcl/ewclConfigVersion.cmake"; do
    [ -e "$prefix/$f" ] || fail "missing $f"
done
for h in "$source_dir"/include/ewcl/*.h; do
    cmp -s "$h" "$prefix/include/ewcl/${h##*/}" || fail "header ${h##*/} not installed as is"
done
soname=$(readelf -d "$prefix/$libdir/libewcl.so.$version" | sed -n 's/.*SONAME.*\[\(.*\)\].*/\1/p')
[ "$soname" = "libewcl.so.$major" ] || fail "soname '$soname', expected libewcl.so.$major"
[ "$(readlink "$prefix/$libdir/libewcl.so")" = "libewcl.so.$major" ] || fail "libewcl.so link"
[ "$("$prefix/bin/ewcl" --version)" = "ewcl $version" ] || fail "installed ewcl --version"

export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
[ "$(pkg-config --modversion ewcl)" = "$version" ] || fail "pkg-config --modversion ewcl"

# run NAME BINARY: runs an example; its output must name ewcl's version and end with "ok: ".
run() {
    status=0
    "$2" >"$work/$1.out" 2>&1 || status=$?
    if [ "$status" = 3 ] && [ "${EWCL_REQUIRE_DEVICE:-0}" != 1 ]; then
        echo "test_install: no OpenCL device, skipped"; exit 77
    fi
    cat "$work/$1.out"
    [ "$status" = 0 ] || fail "$1 exited with $status"
    grep -q "^ewcl $version on " "$work/$1.out" || fail "$1 does not report ewcl $version"
    tail -n 1 "$work/$1.out" | grep -q "^ok: " || fail "$1 did not end with ok"
}

for dir in "$source_dir"/tools/examples/*/; do
    name=$(basename "$dir")
    cmake -S "$dir" -B "$work/cmake-$name" -DCMAKE_PREFIX_PATH="$prefix" \
          -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" \
          >"$work/cmake-$name.log" 2>&1 || { cat "$work/cmake-$name.log"; fail "configuring $name"; }
    cmake --build "$work/cmake-$name" >>"$work/cmake-$name.log" 2>&1 ||
        { cat "$work/cmake-$name.log"; fail "building $name with find_package"; }
    run "$name (find_package)" "$work/cmake-$name/$name"

    # shellcheck disable=SC2046 # pkg-config's words are meant to split
    "$cc" -std=c17 -Wall -Wextra -Werror "$dir/$name.c" -o "$work/pc-$name" \
          $(pkg-config --cflags --libs ewcl) -lm -Wl,-rpath,"$prefix/$libdir" ||
        fail "building $name with pkg-config"
    run "$name (pkg-config)" "$work/pc-$name"
done
grep -q "penalty: device .* host " "$work/lowlevel_ewc (pkg-config).out" || fail "lowlevel_ewc: no penalty line"
grep -q "^after task 2: task 1 accuracy" "$work/own_context (pkg-config).out" || fail "own_context: no accuracy line"
echo "test_install: installed, both examples built both ways and ran"
