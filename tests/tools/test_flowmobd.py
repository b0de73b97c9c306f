# SPDX-License-Identifier: GPL-2.0
"""flowmobd's command line without a data plane: --help/--version, usage errors
(exit 2), --check on good and bad files (exit 0/1, the key named), and start-up
refusals that happen before anything is loaded (missing netns, a live instance
on the control socket). Running instances are covered by the e2e suite."""
import os
import socket
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FMD = os.path.join(ROOT, "build", "flowmobd")
EXAMPLES = os.path.join(ROOT, "docs", "examples")

pytestmark = pytest.mark.skipif(not os.access(FMD, os.X_OK), reason="build/flowmobd not built")


def run(*args):
    return subprocess.run([FMD, *args], capture_output=True, text=True, timeout=20)


def test_help_version():
    r = run("--help")
    assert r.returncode == 0
    for word in ("SYNOPSIS", "OPTIONS", "SIGNALS", "SIGHUP", "SIGTERM", "FILES", "EXIT STATUS",
                 "--netns", "--cleanup", "--check", "--log-level", "/run/flowmob/"):
        assert word in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("flowmobd ")


@pytest.mark.parametrize("args,needle", [
    ([], "-c FILE is required"),
    (["-c"], "needs an argument"),
    (["-c", "x.yaml", "--bogus"], "unknown option"),
    (["-c", "x.yaml", "extra"], "unexpected argument"),
    (["-c", "x.yaml", "--log-level", "loud"], "--log-level"),
    (["-c", "x.yaml", "--check", "--cleanup"], "exclude"),
])
def test_usage_errors(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Usage:" in r.stderr


@pytest.mark.parametrize("name,role", [("lma.yaml", "lma"), ("mag1.yaml", "mag"),
                                       ("mag2.yaml", "mag")])
def test_check_examples(name, role):
    r = run("-c", os.path.join(EXAMPLES, name), "--check")
    assert r.returncode == 0, r.stderr
    assert f"role {role}" in r.stdout


def test_check_bad_file():
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write("instance: t\nrole: lma\nlma:\n  address: fd00::1\n  colour: red\n")
        f.flush()
        r = run("-c", f.name, "--check")
    assert r.returncode == 1
    assert "lma.colour" in r.stderr and "unknown key" in r.stderr


def test_missing_netns():
    name = "fm-test-nonexistent-%d" % os.getpid()
    r = run("-c", os.path.join(EXAMPLES, "lma.yaml"), "--netns", name)
    assert r.returncode == 1
    assert f"/run/netns/{name}" in r.stderr


def test_refuses_second_instance():
    """A live control socket: refused before the data plane is touched."""
    with tempfile.TemporaryDirectory(prefix="fm-fmd-") as d:
        sock = os.path.join(d, "live.sock")
        cfg = os.path.join(d, "lma.yaml")
        with open(os.path.join(EXAMPLES, "lma.yaml")) as src, open(cfg, "w") as dst:
            for line in src:
                if line.startswith("control-socket:"):
                    line = f"control-socket: {sock}\n"
                elif line.startswith("instance:"):
                    line = "instance: fm-test-%d\n" % os.getpid()
                dst.write(line)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sock)
        srv.listen(4)
        try:
            r = run("-c", cfg)
        finally:
            srv.close()
        assert r.returncode == 1
        assert "already running" in r.stderr
        assert "data plane" not in r.stderr
