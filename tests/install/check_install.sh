#!/usr/bin/env bash
# Installs the built library into a temporary prefix, then builds examples/consumer against it
# twice: with find_package(strata) and with pkg-config. Both binaries must run and print 42.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/consumer" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer" | grep -q "answer: 42"

libdir=$(find "$work/prefix" -name strata.pc -printf '%h\n' | head -n 1)
export PKG_CONFIG_PATH="$libdir"
# The .pc file records the configured prefix; point it at the temporary one.
g++ $(pkg-config --define-variable=prefix="$work/prefix" --cflags strata) \
  "$source_dir/examples/consumer/main.cpp" -o "$work/consumer-pc" \
  $(pkg-config --define-variable=prefix="$work/prefix" --libs strata)
"$work/consumer-pc" | grep -q "answer: 42"
echo "install check: cmake package and pkg-config both work"
