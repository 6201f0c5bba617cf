#!/bin/sh
# check.sh RUNNER PYTHON SET DIR: runs the conformance runner on DIR's committed
# <SET>_scenarios.json and compares with <SET>_expected.json (compare.py is a copy of
# ../shared/conformance/rx/compare.py). SET is promise, observable or observable_ext (the
# operators FORMAT.md does not list; expected events from gen_rx_ext.js). Fails on any
# difference or runner error.
set -eu
runner=$1 python=$2 kind=$3 dir=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$runner" "${kind%_ext}" "$dir/${kind}_scenarios.json" >"$out"
"$python" "$dir/compare.py" "$dir/${kind}_expected.json" "$out"
