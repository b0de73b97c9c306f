#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/bench/run.sh — the data-plane benchmark table (`make bench`): test_run
# ns/packet per path, then packets/s of the LMA against the kernel's own IPv6
# forwarding on the same veth path in the same run. Numbers are reported, never
# asserted. Then the LMA's signaling rate (PBU->PBA per second, real flowmobd on
# one CPU, over a raw MH socket). Namespaces are uniquely tagged and removed on exit.
#
#   BENCH_SECONDS=3 tests/bench/run.sh [testrun|live|signaling|all]
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$BUILD/tests/bench_dp
SECONDS_PER=${BENCH_SECONDS:-3}
what=${1:-all}
[ -x "$BIN" ] || { echo "run.sh: $BIN missing (make bench builds it)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root" >&2; exit 1; }

echo "# flowmob data-plane benchmark ($(uname -r), $(nproc) CPUs, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
# Rows also go to build/bench/results.json, one section per benchmark (merged: other
# sections of the file stay), and the test_run rows are drawn into docs/benchmarks.svg.
mkdir -p "$BUILD/bench"
export BENCH_JSON=${BENCH_JSON:-$BUILD/bench/results.json}

if [ "$what" = testrun ] || [ "$what" = all ]; then
	"$BIN" testrun || echo "(testrun failed: $?)"
	tests/bench/plot.sh "$BENCH_JSON" "${BENCH_SVG:-docs/benchmarks.svg}" \
		|| echo "(chart not drawn)"
fi

if [ "$what" = live ] || [ "$what" = all ]; then
	tag=fmbench$$
	gen=$tag-gen lma=$tag-lma sink=$tag-sink
	cleanup() { for n in $gen $lma $sink; do ip netns del "$n" 2>/dev/null; done; }
	trap cleanup EXIT
	for n in $gen $lma $sink; do ip netns add "$n"; ip -n "$n" link set lo up; done
	ip -n "$gen" link add g0 type veth peer name l0 netns "$lma"
	ip -n "$lma" link add l1 type veth peer name s0 netns "$sink"
	ip -n "$lma" link set l0 address 02:00:00:00:aa:01
	ip -n "$lma" link set l1 address 02:00:00:00:aa:02
	ip -n "$sink" link set s0 address 02:00:00:00:aa:03
	for p in "$gen g0" "$lma l0" "$lma l1" "$sink s0"; do
		set -- $p
		ip -n "$1" link set "$2" up
	done
	# GRO (NAPI) on the receivers of redirected frames, after the links are up.
	for p in "$gen g0" "$lma l0" "$lma l1" "$sink s0"; do
		set -- $p
		ip netns exec "$1" ethtool -K "$2" gro on tx off >/dev/null 2>&1
	done
	ip -n "$lma" addr add fd00:1::1/64 dev l0 nodad
	ip -n "$lma" addr add fd00:11::1/64 dev l1 nodad
	ip -n "$sink" addr add fd00:11::2/64 dev s0 nodad
	ip netns exec "$lma" sysctl -qw net.ipv6.conf.all.forwarding=1
	# The kernel baseline forwards CN -> MN packets plainly to the MAG address.
	ip -n "$lma" -6 route add fd00:100::/48 via fd00:11::2 dev l1
	ip -n "$lma" -6 neigh replace fd00:11::2 lladdr 02:00:00:00:aa:03 dev l1 nud permanent
	ip -n "$lma" -6 neigh replace fd00:1::2 lladdr 02:aa:00:00:00:01 dev l0 nud permanent
	"$BIN" live "$gen" g0 "$lma" l0 l1 "$sink" s0 02:00:00:00:aa:01 "$SECONDS_PER" \
		|| echo "(live failed: $?)"
fi

if [ "$what" = signaling ] || [ "$what" = all ]; then
	echo
	echo "## LMA signaling, PBU -> PBA per second (flowmobd pinned to one CPU, raw MH socket)"
	echo
	for n in 1000 10000; do
		/usr/bin/python3 tests/bench/lma_socket_rate.py -n "$n" -r $((n * 10)) -w 64 \
			|| echo "(signaling bench failed: $?)"
	done
fi
