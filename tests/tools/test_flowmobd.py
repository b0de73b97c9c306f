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


@pytest.mark.parametrize("name,key", [("lma.yaml", ":11: lma.core-interfaces[0]"),
                                      ("mag1.yaml", ":10: mag.lma-interface"),
                                      ("mag2.yaml", ":10: mag.lma-interface")])
def test_check_examples_host(name, key):
    """The examples are valid files, but this host has none of their interfaces:
    --check checks the host too (issue 11 point 5), naming the key and its line."""
    r = run("-c", os.path.join(EXAMPLES, name), "--check")
    assert r.returncode == 1, r.stdout
    assert key in r.stderr and "does not exist" in r.stderr, r.stderr


@pytest.mark.parametrize("name,role", [("lma.yaml", "lma"), ("mag1.yaml", "mag"),
                                       ("mag2.yaml", "mag")])
def test_check_config_examples(name, role):
    """--check-config: the file alone, for a file written for another host."""
    r = run("-c", os.path.join(EXAMPLES, name), "--check-config")
    assert r.returncode == 0, r.stderr
    assert f"role {role}" in r.stdout and "host not checked" in r.stdout


def _netns(name, cmds):
    subprocess.run(["ip", "netns", "add", name], check=True)
    for c in cmds:
        subprocess.run(["ip", "-n", name, *c], check=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")
def test_check_host_in_netns():
    """--check --netns: interfaces and the role's address in that namespace; a
    missing address is refused (the LMA used to run with it, without a warning)."""
    ns = "fm-chk-%d" % os.getpid()
    lma = os.path.join(EXAMPLES, "lma.yaml")
    try:
        _netns(ns, [["link", "add", n, "type", "veth", "peer", "name", f"p{i}"]
                    for i, n in enumerate(("lma-cn", "lma-mag1", "lma-mag2"))])
        r = run("-c", lma, "--check", "--netns", ns)
        assert r.returncode == 1
        assert ":10: lma.address: fd00:11::1 is not configured" in r.stderr, r.stderr
        subprocess.run(["ip", "-n", ns, "addr", "add", "fd00:11::1/64", "dev", "lma-mag1",
                        "nodad"], check=True)
        r = run("-c", lma, "--check", "--netns", ns)
        assert r.returncode == 0, r.stderr
        assert "role lma" in r.stdout and ns in r.stdout
        subprocess.run(["ip", "-n", ns, "link", "del", "lma-mag2"], check=True)
        r = run("-c", lma, "--check", "--netns", ns)
        assert r.returncode == 1
        assert ":12: lma.access-interfaces[1]: interface 'lma-mag2' does not exist" in r.stderr
        # flowmobd refuses to start likewise, before the data plane is touched
        r = run("-c", lma, "--netns", ns)
        assert r.returncode == 1 and "lma-mag2" in r.stderr
        assert "data plane" not in r.stderr
        # max-mns beyond the memory available
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(open(lma).read().replace("role: lma", "role: lma\nmax-mns: 1048576"))
            f.flush()
            subprocess.run(["ip", "-n", ns, "link", "add", "lma-mag2", "type", "veth", "peer",
                            "name", "p2"], check=True)
            r = run("-c", f.name, "--check", "--netns", ns)
            if r.returncode == 1:  # only on a host with less memory than the maps need
                assert "max-mns" in r.stderr and "MiB" in r.stderr, r.stderr
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


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
