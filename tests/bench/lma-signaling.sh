#!/usr/bin/env bash
# PBU->PBA rate of the LMA logic on one core, in process (no socket): builds
# tests/bench/lma/lma_rate.c against build/libflowmob.a and runs it pinned to CPU 0.
#   tests/bench/lma-signaling.sh [N bindings ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory build/libflowmob.a >/dev/null
mkdir -p build/bench
gcc -std=gnu11 -O2 -g -D_GNU_SOURCE -Iinclude -Iagent -o build/bench/lma_rate \
	tests/bench/lma/lma_rate.c build/libflowmob.a -lbpf -lelf -lz -lev -lcyaml -ljansson -lm
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
for n in "${sizes[@]}"; do
	taskset -c 0 build/bench/lma_rate "$n" 200000
done
