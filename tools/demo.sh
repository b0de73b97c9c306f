#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tools/demo.sh — `make demo`'s entry point: checks the build and runs tools/demo.py,
# the whole flowmob system in network namespaces showing the draft's three flow
# moves (LMA-local with a shared prefix; a prefix moved by a new attachment's PBU
# with BRI/BRA; FMI/FMA, or with --upn UPN/UPA, between MAGs). Options and
# $DEMO_ARGS go to tools/demo.py (--upn, --chapter N, --capture PATH, --live on|off);
# `make demo DEMO_ARGS=--upn`. tools/demo.py cleans up on exit, on errors and on
# Ctrl-C/SIGTERM (its signal handlers), so this script only hands over with exec.
set -uo pipefail
cd "$(dirname "$0")/.."
for bin in flowmobd flowmobctl; do
	[ -x "build/$bin" ] || { echo "demo: build/$bin missing: run 'make' first" >&2; exit 1; }
done
# shellcheck disable=SC2086 # DEMO_ARGS is a list of options
exec /usr/bin/python3 tools/demo.py ${DEMO_ARGS:-} "$@"
