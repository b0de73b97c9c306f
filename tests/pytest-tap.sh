#!/usr/bin/env bash
# pytest-tap.sh DIR [PYTEST ARGS...]: runs Debian's pytest on DIR with pytest's
# own report on stderr, then prints one TAP line per test on stdout (written by
# the plugin in tests/conftest.py). pytest's "no tests collected" (5) is not an error.
set -uo pipefail
dir=$1; shift
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
FM_TAP_FILE=$tap /usr/bin/python3 -m pytest -p no:cacheprovider -rfE "$dir" "$@" >&2
rc=$?
cat "$tap"
[ $rc -eq 5 ] && rc=0
exit $rc
