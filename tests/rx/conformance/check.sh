#!/bin/sh
# check.sh RUNNER PYTHON promise|observable DIR: runs the conformance runner on DIR's committed
# <kind>_scenarios.json and compares with <kind>_expected.json (compare.py is a copy of
# ../shared/conformance/rx/compare.py). Fails on any difference or runner error.
set -eu
runner=$1 python=$2 kind=$3 dir=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$runner" "$kind" "$dir/${kind}_scenarios.json" >"$out"
"$python" "$dir/compare.py" "$dir/${kind}_expected.json" "$out"
