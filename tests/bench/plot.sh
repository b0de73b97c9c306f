#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/bench/plot.sh — draws the data-plane rows of build/bench/results.json
# (section dataplane_testrun, written by bench_dp) as a horizontal bar chart, ns per
# packet per row, with gnuplot (Debian gnuplot-nox) into docs/benchmarks.svg.
#   tests/bench/plot.sh [RESULTS_JSON] [OUT_SVG]
set -euo pipefail
cd "$(dirname "$0")/../.."
in=${1:-build/bench/results.json}
out=${2:-docs/benchmarks.svg}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot missing (tools/deps.sh gnuplot-nox, as make bench does)" >&2; exit 1; }
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
/usr/bin/python3 - "$in" > "$dat" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["dataplane_testrun"]["rows"]
for r in reversed(rows):
    label = "%s, %s MNs, %s active, %s rules, %s" % (
        r["path"], r["mns"], r["active"], r["rules"], r["cache"])
    print('"%s" %.1f' % (label.replace('"', "'"), r["ns"]))
PY
n=$(wc -l < "$dat")
gnuplot <<GP
set terminal svg size 1100,$((40 + 18 * n)) dynamic font "sans,10"
set output "$out"
set title "flowmob data plane, BPF_PROG_TEST_RUN ns/packet (harness subtracted)"
set style fill solid 0.8 border -1
set yrange [-0.5:$n-0.5]
set xrange [0:*]
set xlabel "ns per packet"
set ytics nomirror
set grid xtics
unset key
set lmargin 62
plot "$dat" using (\$2*0.5):0:(\$2*0.5):(0.35):yticlabels(1) with boxxyerror lc rgb "#4a7ebb", \
     "" using (\$2):0:(sprintf(" %.0f", \$2)) with labels left font ",8"
GP
echo "plot.sh: wrote $out"
