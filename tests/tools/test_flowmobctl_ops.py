# SPDX-License-Identifier: GPL-2.0
"""flowmobctl's comforts against a fake flowmobd (test_flowmobctl.FakeDaemon):
an empty table still prints its header; a command of the other role says so,
naming the socket's role and instance; with several instances and no -i/-s the
message names them (a private /run/flowmob in a mount namespace); `top` prints
rates between samples — plain lines when not a terminal, one JSON sample per
line with -j; bash completion offers commands and the MN NAIs of the daemon."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from test_flowmobctl import CTL, FakeDaemon, daemon, ok, run, tmp  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.skipif(not os.access(CTL, os.X_OK), reason="build/flowmobctl not built")


def test_empty_tables_print_header(daemon):
    d = daemon(replies={"bindings": ok([]), "flows": ok([]), "mag.bindings": ok([])})
    r = run("bindings", env={"FLOWMOB_SOCKET": d.path})
    assert r.returncode == 0
    assert r.stdout.split() == ["MN", "BID", "ATT", "MAG", "PREFIXES", "LIFETIME", "STATE",
                                "PACKETS", "BYTES"]
    r = run("flows", env={"FLOWMOB_SOCKET": d.path})
    assert r.stdout.startswith("MN") and "FID" in r.stdout and len(r.stdout.splitlines()) == 1
    r = run("mag-bindings", env={"FLOWMOB_SOCKET": d.path})
    assert r.stdout.split()[:2] == ["MN", "IFACE"]
    r = run("-j", "bindings", env={"FLOWMOB_SOCKET": d.path})
    assert r.stdout == "[]\n"


@pytest.mark.parametrize("args,srole,inst,msg", [
    (["bindings"], "mag", "ux-mag1", "'bindings' is an LMA command; this socket belongs to "
     "MAG ux-mag1"),
    (["flow", "del", "mn1@example.net", "2"], "mag", "m", "'flow del' is an LMA command; "
     "this socket belongs to MAG m"),
    (["attach", "mn1@example.net", "if0"], "lma", "lma1", "'attach' is a MAG command; this "
     "socket belongs to LMA lma1"),
    (["mag-bindings"], "lma", "lma1", "'mag-bindings' is a MAG command; this socket belongs "
     "to LMA lma1"),
])
def test_wrong_role(daemon, args, srole, inst, msg):
    d = daemon(replies={"version": ok({"version": "0.1.0", "role": srole, "instance": inst})})
    r = run(*args, env={"FLOWMOB_SOCKET": d.path})
    assert r.returncode == 1
    assert r.stderr.strip() == f"flowmobctl: {msg}"


def test_unknown_command_of_no_role_keeps_daemon_message(daemon):
    d = daemon(replies={"version": ok({"version": "0.1.0", "role": "lma", "instance": "l"})})
    r = run("raw", '{"cmd":"nope"}', env={"FLOWMOB_SOCKET": d.path})
    assert r.returncode == 1 and "unknown command 'nope'" in r.stderr


def test_several_instances_named(tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare")
    os.makedirs("/run/flowmob", exist_ok=True)
    script = ("mount --make-rprivate / && mount -t tmpfs tmpfs /run/flowmob && "
              "touch /run/flowmob/lma1.sock /run/flowmob/mag1.sock && "
              f"env -u FLOWMOB_SOCKET {CTL} bindings")
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2, r.stderr
    line = r.stderr.splitlines()[0]
    assert "2 flowmobd instances run here" in line and "-i INSTANCE" in line
    assert "lma1" in line and "mag1" in line


class Counting(FakeDaemon):
    """stats/bindings/flows whose counters grow by a fixed step per request."""

    def __init__(self, path):
        self.n = 0
        super().__init__(path, replies={
            "version": ok({"version": "0.1.0", "role": "lma", "instance": "lma1"}),
            "stats": lambda r: self.step() or ok({"signaling": {"rx": {"pbu": 10 * self.n},
                                                                 "tx": {"pba": 10 * self.n}}}),
            "bindings": lambda r: ok([{"mn": "mn1@example.net", "mag": "fd00:11::2",
                                       "packets": 100 * self.n, "bytes": 10000 * self.n}]),
            "flows": lambda r: ok([{"mn": "mn1@example.net", "fid": 1, "packets": 50 * self.n,
                                    "bytes": 5000 * self.n}]),
        })

    def step(self):
        self.n += 1


def test_top_json_and_plain(tmp):
    d = Counting(os.path.join(tmp, "c.sock"))
    try:
        r = run("-j", "top", "-n", "0.5", "--count", "2", env={"FLOWMOB_SOCKET": d.path})
        assert r.returncode == 0, r.stderr
        samples = [json.loads(l) for l in r.stdout.splitlines()]
        assert len(samples) == 2
        s = samples[1]
        assert s["role"] == "lma" and s["instance"] == "lma1"
        dt = s["interval"]
        assert 0.4 < dt < 3
        assert s["mags"][0]["mag"] == "fd00:11::2" and s["mags"][0]["bindings"] == 1
        assert s["mags"][0]["pps"] == pytest.approx(100 / dt, rel=1e-6)
        assert s["flows"][0]["fid"] == 1
        assert s["flows"][0]["bps"] == pytest.approx(5000 / dt, rel=1e-6)
        assert s["signaling"]["rx.pbu"] == pytest.approx(10 / dt, rel=1e-6)

        r = run("top", "-n", "0.2", "--count", "1", env={"FLOWMOB_SOCKET": d.path})
        assert r.returncode == 0, r.stderr
        assert "\033" not in r.stdout  # not a terminal: no screen control
        lines = r.stdout.splitlines()
        assert any(" mag fd00:11::2 bindings=1 pps=" in l for l in lines), lines
        assert any(" flow mn1@example.net fid=1 pps=" in l for l in lines), lines
        assert any(" signaling rx.pbu=" in l for l in lines), lines
    finally:
        d.close()
    r = run("top", "-n", "0", env={"FLOWMOB_SOCKET": "/nonexistent"})
    assert r.returncode == 2


def test_bash_completion(daemon):
    if not shutil.which("bash"):
        pytest.skip("no bash")
    d = daemon(replies={"bindings": ok([{"mn": "mn1@example.net"}, {"mn": "mn2@example.net"}]),
                        "mag.bindings": ok([])})
    comp = os.path.join(ROOT, "tools", "flowmobctl", "flowmobctl.bash")

    def complete(line):
        words = line.split(" ")
        script = (f'source {comp}; PATH={os.path.dirname(CTL)}:$PATH; '
                  f'COMP_WORDS=({" ".join(repr(w) for w in words)}); '
                  f'COMP_CWORD={len(words) - 1}; _flowmobctl; printf "%s\\n" "${{COMPREPLY[@]}}"')
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r.stderr
        return sorted(x for x in r.stdout.split("\n") if x)

    assert complete("flowmobctl b") == ["bindings"]
    assert "top" in complete("flowmobctl ")
    assert complete("flowmobctl flow m") == ["move"]
    assert complete(f"flowmobctl -s {d.path} flow del mn") == ["mn1@example.net",
                                                                 "mn2@example.net"]
    assert complete(f"flowmobctl -s {d.path} attach mn2") == ["mn2@example.net"]
    assert complete("flowmobctl --js") == ["--json"]
