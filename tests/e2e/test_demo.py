# SPDX-License-Identifier: GPL-2.0
"""`make demo` (tools/demo.sh -> tools/demo.py) run non-interactively.

Checks that every "flow ... through ..." sentence it prints agrees with the
counters printed beside it (all of the flow's packets on the named MAG's MN
interface, none on the other), that each chapter shows the signaling its move
causes, that the capture it names holds that signaling, that it fails loudly
(non-zero exit, the counters named, no sentence for the misplaced flow) when a
step is sabotaged (DEMO_BREAK), and that it leaves no namespace, pin or
daemon behind.
"""
import os
import re
import subprocess

import pytest

import fmsystem
import nslib

THROUGH = re.compile(r"^\s+flow (\w) \(UDP (\d+)\) through (MAG1|MAG2): "
                     r"if1\(MAG1\) \+(\d+), if2\(MAG2\) \+(\d+) packets in \d+ s$")


@pytest.fixture
def demo(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the demo needs root")
    for b in (fmsystem.FLOWMOBD, fmsystem.FLOWMOBCTL):
        if not os.path.exists(b):
            pytest.skip(f"{b} not built (make all)")
    tags = []

    def run(*args, env=None, make=False):
        tag = nslib.unique_tag("dm")
        tags.append(tag)
        cap = str(tmp_path / f"{tag}.pcapng")
        e = dict(os.environ, DEMO_TAG=tag, **(env or {}))
        argv = list(args) + ["--capture", cap]
        if make:
            cmd = ["make", "-s", "demo", "DEMO_ARGS=" + " ".join(argv)]
        else:
            cmd = [os.path.join(nslib.REPO, "tools", "demo.sh")] + argv
        p = subprocess.run(cmd, cwd=nslib.REPO, env=e, capture_output=True, text=True,
                           timeout=240, stdin=subprocess.DEVNULL)
        print(p.stdout)
        print(p.stderr)
        return p, cap

    yield run
    left = []
    for tag in tags:
        for n in (1, 2, 3):
            t = nslib.Topo(f"{tag}{n}")
            left += t.present()
            left += [os.path.join(fmsystem.PIN_ROOT, f"{t.tag}-{r}") for r in fmsystem.ROLES
                     if os.path.exists(os.path.join(fmsystem.PIN_ROOT, f"{t.tag}-{r}"))]
        ps = subprocess.run(["pgrep", "-f", f"fm-{tag}"], capture_output=True, text=True)
        left += ps.stdout.split()
    assert not left, f"the demo left behind: {left}"


def through_lines(out):
    """Every line that says where a flow goes must be one checked sentence."""
    found = []
    for line in out.splitlines():
        if re.search(r"\bflow\b.*\bthrough\b", line):
            m = THROUGH.match(line)
            assert m, f"a sentence about where traffic goes that is not checkable: {line!r}"
            name, port, mag, c1, c2 = m.groups()
            c1, c2 = int(c1), int(c2)
            on, off = (c1, c2) if mag == "MAG1" else (c2, c1)
            assert on > 0 and off == 0, f"sentence contradicts its counters: {line!r}"
            found.append((name, int(port), mag))
    return found


def chapter(out, n):
    m = re.search(rf"== Chapter {n}:.*?(?=\n== |\Z)", out, re.S)
    assert m, f"no chapter {n}"
    return m.group(0)


def capture_msgs(cap):
    assert os.path.exists(cap) and os.path.getsize(cap) > 0, "no capture left"
    rows = nslib.tshark_fields(cap, ["flowmob.msg", "mip6.mhtype", "mip6.bri_br.type"],
                               "ipv6.nxt == 135", lua=nslib.LUA)
    return [fmsystem.msg_name(dict(zip(["flowmob.msg", "mip6.mhtype", "mip6.bri_br.type"],
                                       r + [""] * 3))) for r in rows]


def test_make_demo_sentences_agree_with_counters(demo):
    p, cap = demo(make=True)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    flows = through_lines(out)
    # the story: chapter 1 Y MAG1 -> MAG2 -> MAG1 with X on MAG1; chapter 2 Z MAG1 -> MAG2;
    # chapter 3 Y MAG1 -> MAG2 -> MAG1 with X on MAG1
    assert [f for f in flows if f[0] == "Y"] == [("Y", 5000, m) for m in
                                                 ("MAG1", "MAG2", "MAG1") * 2]
    assert {f[2] for f in flows if f[0] == "X"} == {"MAG1"}
    assert [f[2] for f in flows if f[0] == "Z"] == ["MAG1", "MAG2"]
    c1, c2, c3 = chapter(out, 1), chapter(out, 2), chapter(out, 3)
    assert c1.count("no Mobility Header message crossed") == 2
    assert "prefix's default binding, BID 1 (MAG1)" in c1
    for msg in ("MAG2 -> LMA  PBU", "LMA -> MAG1 BRI", "MAG1 -> LMA  BRA", "LMA -> MAG2 PBA"):
        assert msg in c2, msg
    for msg in ("LMA -> MAG2 FMI", "MAG2 -> LMA  FMA", "LMA -> MAG1 FMI", "MAG1 -> LMA  FMA"):
        assert msg in c3, msg
    assert re.search(r"LMA -> MAG2 FMI .* cancel  lifetime 0", c3)
    assert "UPN" not in c3
    assert re.search(r"== Done in \d+ s", out)
    assert "signaling capture" in out and cap in out
    names = capture_msgs(cap)
    for m in ("PBU", "PBA", "BRI", "BRA", "FMI", "FMA"):
        assert m in names, (m, names)


def test_demo_upn_chapter(demo):
    p, cap = demo("--upn", "--chapter", "3")
    assert p.returncode == 0, p.stderr
    flows = through_lines(p.stdout)
    assert [f[2] for f in flows if f[0] == "Y"] == ["MAG1", "MAG2", "MAG1"]
    c3 = chapter(p.stdout, 3)
    assert re.search(r"LMA -> MAG2 UPN .*reason 8 \(FLOW-MOBILITY\)  A 1", c3)
    assert "MAG2 -> LMA  UPA  seq 1  status 0" in c3
    assert "FMI" not in c3
    names = capture_msgs(cap)
    assert "UPN" in names and "UPA" in names and "FMI" not in names


def test_demo_fails_loudly_when_traffic_is_elsewhere(demo):
    chap = 1  # DEMO_BREAK=1: the flow move goes to 802.11 while the step expects 3GPP
    p, _ = demo("--chapter", str(chap), env={"DEMO_BREAK": str(chap)})
    assert p.returncode == 1
    assert f"demo: FAILED in chapter {chap}: flow Y (UDP 5000) should go through MAG2, " \
           f"but the MN counted if1(MAG1) +" in p.stderr
    flows = through_lines(p.stdout)  # what it did print still agrees with its counters
    assert ("Y", 5000, "MAG2") not in flows
    assert "Done in" not in p.stdout
    assert "namespaces, BPF programs and pins removed" in p.stdout
