#!/usr/bin/env bash
# Runs test suites and reduces their results to TAP, then prints one summary
# line "N passed, N failed[, N skipped]". Exit status: non-zero when a test
# failed, when a runner died, or when no test ran at all.
#
#   tests/run-suite.sh unit bpf e2e
#
# unit: the cmocka binaries of the sanitizer build (build/san/tests/test_*),
#       the layer check (tools/check-layers), the tool tests (pytest tests/tools) and a short fuzz smoke run;
# bpf:  build/tests/bpf_fixtures (BPF_PROG_TEST_RUN table, needs root);
# e2e:  pytest tests/e2e (network namespaces, needs root).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RES=$BUILD/test-results
mkdir -p "$RES"
PY=/usr/bin/python3
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-10}

# run_tap NAME CMD...: runs a TAP-printing command, keeps its TAP in $RES/NAME.tap;
# a non-zero exit with no failing line counts as one failure (a crash).
run_tap() {
	local name=$1; shift
	local out=$RES/$name.tap
	"$@" >"$out.raw" 2>"$RES/$name.err"
	local rc=$?
	grep -E '^(not )?ok ' "$out.raw" >"$out" || true
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$out"; then
		echo "not ok - $name exited with status $rc (see $RES/$name.err)" >>"$out"
	fi
	grep '^not ok' "$out" | sed "s|^|  $name: |"
	if [ $rc -ne 0 ]; then tail -n 20 "$RES/$name.err" | sed 's/^/    | /'; fi
	return 0
}

run_pytest() {
	local name=$1 dir=$2
	[ -d "$dir" ] && ls "$dir"/test_*.py >/dev/null 2>&1 || return 0
	run_tap "$name" tests/pytest-tap.sh "$dir"
}

suite_unit() {
	local t
	for t in build/san/tests/test_*; do
		[ -x "$t" ] || continue
		run_tap "unit-$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP \
			ASAN_OPTIONS=detect_leaks=1 "$t"
	done
	run_tap layers tools/check-layers "$BUILD"
	run_pytest tools tests/tools
	local f
	for f in tests/fuzz/fuzz_*.c; do
		[ -f "$f" ] || continue
		local n; n=$(basename "$f" .c)
		run_tap "fuzz-$n" tests/fuzz/smoke.sh "$n" "$FUZZ_SMOKE_SECONDS"
	done
}

suite_bpf() {
	[ -x "$BUILD/tests/bpf_fixtures" ] && run_tap bpf "$BUILD/tests/bpf_fixtures"
	run_pytest bpf-ns tests/bpf
}

suite_e2e() {
	run_pytest e2e tests/e2e
}

for s in "$@"; do
	case $s in
	unit | bpf | e2e) "suite_$s" ;;
	*) echo "run-suite: unknown suite '$s' (unit, bpf, e2e)" >&2; exit 2 ;;
	esac
done

pass=0 fail=0 skip=0
for f in "$RES"/*.tap; do
	[ -f "$f" ] || continue
	p=$(grep -cE '^ok ' "$f" | tr -d ' ')
	s=$(grep -cE '^ok .*# *(SKIP|skip)' "$f" | tr -d ' ')
	n=$(grep -cE '^not ok ' "$f" | tr -d ' ')
	pass=$((pass + p - s)); skip=$((skip + s)); fail=$((fail + n))
done
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
