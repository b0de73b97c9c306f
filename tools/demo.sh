#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tools/demo.sh — `make demo`: the whole flowmob system in network namespaces.
#
# Builds the topology (cn — lma — mag1, mag2 — mn), starts the LMA and both MAGs
# from docs/examples/*.yaml, lets the mobile node attach on both interfaces,
# sends two flows X and Y from the correspondent node to the MN, moves flow Y
# to the other access network and back while showing per-interface counters,
# prints the binding and flow caches, and tears everything down (also on Ctrl-C).
set -uo pipefail
cd "$(dirname "$0")/.."

TAG=${DEMO_TAG:-fmdemo}
B=build
TOPO=tools/topo/flowmob-topo
CTL="$B/flowmobctl"
MN_ID=mn1@example.net
PIDS=()
RUN=/run/flowmob-demo.$$
mkdir -p "$RUN"

if [ -t 1 ]; then B1=$'\033[1m' B0=$'\033[0m'; else B1= B0=; fi
say() { printf '\n%s== %s%s\n' "$B1" "$*" "$B0"; }
note() { printf '   %s\n' "$*"; }
ns() { local n=$1; shift; ip netns exec "$TAG-$n" "$@"; }

cleanup() {
	trap - EXIT INT TERM
	say "Tearing down"
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for c in lma mag1 mag2; do
		"$B/flowmobd" -c "$RUN/$c.yaml" --netns "$TAG-$c" --cleanup >/dev/null 2>&1
	done
	"$TOPO" down --tag "$TAG" >/dev/null 2>&1
	rm -rf "$RUN"
	note "namespaces, BPF programs, pins and sockets removed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for bin in flowmobd flowmobctl; do
	[ -x "$B/$bin" ] || { echo "demo: $B/$bin missing: run 'make' first" >&2; exit 1; }
done

# Per-run copies of the example configs: private sockets and state, same topology.
for c in lma mag1 mag2; do
	sed -e "s|^control-socket:.*|control-socket: $RUN/$c.sock|" \
	    -e "s|^state-dir:.*||" docs/examples/$c.yaml >"$RUN/$c.yaml"
	printf 'state-dir: %s/%s.state\n' "$RUN" "$c" >>"$RUN/$c.yaml"
done

say "Building the PMIPv6 domain: CN — LMA — MAG1 (Wi-Fi), MAG2 (LTE) — MN"
"$TOPO" up --tag "$TAG" --mn >/dev/null || exit 1
note "namespaces: $(ip netns list | grep -o "^$TAG-[a-z0-9]*" | tr '\n' ' ')"

say "Starting the LMA and both MAGs (flowmobd, XDP data plane)"
for c in lma mag1 mag2; do
	"$B/flowmobd" -c "$RUN/$c.yaml" --netns "$TAG-$c" >"$RUN/$c.log" 2>&1 &
	PIDS+=($!)
done
for c in lma mag1 mag2; do
	# loading and verifying the BPF programs takes a few seconds on a busy machine
	for _ in $(seq 300); do [ -S "$RUN/$c.sock" ] && break; sleep 0.1; done
	[ -S "$RUN/$c.sock" ] || { echo "demo: $c did not start:"; cat "$RUN/$c.log"; exit 1; }
done
note "LMA fd00:11::1, MAG1 fd00:11::2 (ATT 4, 802.11), MAG2 fd00:12::2 (ATT 8, 3GPP)"

say "The MN's interfaces come up: each MAG sees a Router Solicitation and registers it (PBU/PBA)"
ns mn ip link set mn-mag1 up
ns mn ip link set mn-mag2 up
ns mn sysctl -qw net.ipv6.conf.mn-mag1.disable_ipv6=0 net.ipv6.conf.mn-mag2.disable_ipv6=0
addr=""
for _ in $(seq 100); do
	addr=$(ns mn ip -6 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)
	n=$("$CTL" -s "$RUN/lma.sock" -j bindings 2>/dev/null | grep -o '"bid"' | wc -l)
	[ -n "$addr" ] && [ "$n" -ge 2 ] && break
	sleep 0.2
done
[ -n "$addr" ] || { echo "demo: the MN got no address"; cat "$RUN"/*.log; exit 1; }
"$CTL" -s "$RUN/lma.sock" bindings
note "one binding per MN interface, each with its own Binding Identifier (seed Figure 7),"
note "both with the MN's one home network prefix (shared prefix, seed §3.1 scenario 2); the MN configured $addr"

say "Flows X (UDP 4000) and Y (UDP 5000) from the CN to $addr"
ns mn nft -f - <<EOF
table inet demo {
	chain in {
		type filter hook input priority 0;
		iifname "mn-mag1" udp dport 4000 counter
		iifname "mn-mag2" udp dport 4000 counter
		iifname "mn-mag1" udp dport 5000 counter
		iifname "mn-mag2" udp dport 5000 counter
	}
}
EOF
for port in 4000 5000; do
	ns cn /usr/bin/python3 -c "
import socket, time, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
end = time.time() + 60
while time.time() < end:
    s.sendto(b'flowmob demo', ('$addr', $port)); time.sleep(0.01)
" &
	PIDS+=($!)
done

counters() {
	ns mn nft list chain inet demo in | awk '/counter/ {print $2, $5, $8}' |
		tr -d '"' | awk '{printf "%s/%s=%s ", $1, $2, $3}'
}
show() {
	local label=$1 t
	for t in 1 2 3; do
		sleep 1
		printf '   %-42s %s\n' "$label" "$(counters | sed 's/mn-mag1/if1(MAG1)/g;s/mn-mag2/if2(MAG2)/g')"
	done
}

"$CTL" -s "$RUN/lma.sock" flows
note "the LMA's flow mobility cache (seed Figure 8): FID 1 matches flow Y and prefers 802.11 (ATT 4);"
note "flow X matches no entry and follows its prefix's default binding"
show "both flows through MAG1 (seed Figure 2):"

say "The LMA moves flow Y (FID 1) to the MN's 3GPP interface (ATT 8, MAG2)"
note "it points the flow's cache entry at the other binding's BID; the prefix is shared, so"
note "MAG2 already serves it and no signaling is needed (seed Figures 2-3)"
"$CTL" -s "$RUN/lma.sock" flow move "$MN_ID" 1 --att 8
show "flow Y through MAG2 (seed Figure 3):"

say "And back to the 802.11 interface (ATT 4, MAG1)"
"$CTL" -s "$RUN/lma.sock" flow move "$MN_ID" 1 --att 4
show "flow Y through MAG1 again:"

say "Final state of the LMA's caches"
"$CTL" -s "$RUN/lma.sock" bindings
"$CTL" -s "$RUN/lma.sock" flows
say "Done: flow Y changed access network twice, flow X never did; the MN kept its address throughout"
