#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# smoke.sh NAME SECONDS — builds build/fuzz/NAME (tests/fuzz/NAME.c, clang with
# -fsanitize=fuzzer,address,undefined through the Makefile), runs it for SECONDS on a
# scratch corpus seeded from tests/fuzz/seeds-NAME (tests/fuzz/seeds for fuzz_mh), and
# prints one TAP line:
#   ok - fuzz NAME: N execs, no crash      |   not ok - fuzz NAME: ...
set -uo pipefail
cd "$(dirname "$0")/../.."
name=${1:?usage: smoke.sh NAME SECONDS}
secs=${2:-10}
BUILD=${BUILD:-build}
bin=$BUILD/fuzz/$name
echo "1..1"
if ! make --no-print-directory BUILD="$BUILD" "$bin" >&2; then
	echo "not ok - fuzz $name: build failed"
	exit 1
fi
seeds=tests/fuzz/seeds-$name
[ -d "$seeds" ] || seeds=tests/fuzz/seeds
corpus=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$corpus" "$log"' EXIT
"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$BUILD/fuzz/$name-" \
	"$corpus" "$seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
if [ $rc -eq 0 ] && [ -n "$execs" ]; then
	echo "ok - fuzz $name: $execs execs, no crash"
	exit 0
fi
tail -n 30 "$log" >&2
echo "not ok - fuzz $name: exit status $rc after ${execs:-?} execs (artifacts in $BUILD/fuzz/)"
exit 1
