# SPDX-License-Identifier: GPL-2.0
"""The verifier budget as a test (like Cilium's complexity tests): every program is
loaded as flowmobd loads it and the instructions the verifier processed
(`verified_insns` of bpf_prog_info) must not exceed the figure recorded in the
"Verifier budget" table of docs/dataplane.md — the one place the figures live — by
more than MARGIN. A change that costs more must re-measure and update that table
(the failure message prints the new figures), so growth is always a reviewed diff.
"""
import os
import re

import pytest

import nslib
from dpdriver import FIXTURES, LMA_ADDR, MAG1_ADDR

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists(FIXTURES),
                                reason="needs root and build/tests/bpf_fixtures")

MARGIN = 0.05  # stated in docs/dataplane.md
DOC = os.path.join(nslib.REPO, "docs", "dataplane.md")
PROGRAMS = ("fm_lma_xdp", "fm_lma_tc", "fm_mag_xdp", "fm_mag_tc")


def budget():
    """{program: processed} from the doc's "Verifier budget" table."""
    text = open(DOC, encoding="utf-8").read()
    section = text.split("### Verifier budget", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(fm_\w+)` \| ([\d ]+) \|", section, re.M)
    assert "%d %%" % round(MARGIN * 100) in section, "the doc must state the margin"
    return {name: int(n.replace(" ", "")) for name, n in rows}


def measure():
    """{program: (verified_insns, xlated insns)} of both roles, loaded with no
    interface attached (the instance's pins are removed afterwards)."""
    got = {}
    for role, local in (("lma", LMA_ADDR), ("mag", MAG1_ADDR)):
        opts = f"-i vbudget-{os.getpid()}-{role} -r {role} -m xdp -l {local} -L {LMA_ADDR}"
        try:
            out = nslib.run(None, f"{FIXTURES} dpctl {opts} progs").stdout
        finally:
            nslib.run(None, f"{FIXTURES} dpctl {opts} cleanup", check=False)
        for name, v, x in re.findall(r"prog=(\S+) verified_insns=(\d+) xlated_insns=(\d+)", out):
            got[name] = (int(v), int(x))
    return got


def test_doc_table_lists_every_program():
    assert sorted(budget()) == sorted(PROGRAMS)


def test_verifier_budget():
    want, got = budget(), measure()
    assert sorted(got) == sorted(PROGRAMS), got
    table = "\n".join(f"| `{p}` | {got[p][0]:,} | {got[p][1]:,} |".replace(",", " ")
                      for p in PROGRAMS)
    over = {p: (got[p][0], want[p]) for p in PROGRAMS if got[p][0] > want[p] * (1 + MARGIN)}
    assert not over, (f"verified instructions above the budget by more than "
                      f"{MARGIN:.0%}: {over}; measured now:\n{table}")
    for p in PROGRAMS:
        if got[p][0] < want[p] * (1 - MARGIN):
            print(f"# {p}: {got[p][0]} verified instructions, well below the budget "
                  f"{want[p]}: docs/dataplane.md could be updated")
