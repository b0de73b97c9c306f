# SPDX-License-Identifier: GPL-2.0
"""Operations without a running daemon: the man pages (make man: go-md2man from
docs/, each with a NAME line and its title), --help naming them and --version
with the libbpf version on flowmobd and flowmobctl; `make install DESTDIR=…`
installs the tree an operator expects (binaries, pages, example configs in
/etc/flowmob, the unit with absolute paths, bash completion) and `make
uninstall` removes it again; the installed unit passes `systemd-analyze verify`;
with a journal socket present (a fake one in a private mount namespace) the
daemon's log entries carry MESSAGE, PRIORITY and SYSLOG_IDENTIFIER."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
FMD = os.path.join(BUILD, "flowmobd")
CTL = os.path.join(BUILD, "flowmobctl")

pytestmark = pytest.mark.skipif(not os.access(FMD, os.X_OK), reason="build/flowmobd not built")

PAGES = {"flowmobd.8": "flowmobd", "flowmobctl.8": "flowmobctl", "flowmob-mh.1": "flowmob-mh",
         "flowmob.yaml.5": "flowmob.yaml"}


def make(*args, **kw):
    return subprocess.run(["make", "-s", "-C", ROOT, *args], capture_output=True, text=True,
                          timeout=600, **kw)


@pytest.fixture(scope="module")
def man():
    if not shutil.which("go-md2man"):
        pytest.skip("go-md2man not installed (make deps)")
    r = make("man")
    assert r.returncode == 0, r.stderr
    return os.path.join(BUILD, "man")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_man_page_renders(man, page):
    path = os.path.join(man, page)
    text = open(path).read()
    name, sec = page.rsplit(".", 1)
    assert re.search(rf'^\.TH {re.escape(name)} {sec} ', text, re.M), text[:200]
    assert re.search(r"^\.SH NAME", text, re.M)
    out = subprocess.run(f"man -l {path} | col -b", shell=True, capture_output=True,
                         text=True, env=dict(os.environ, MANWIDTH="100"))
    assert out.returncode == 0, out.stderr
    assert f"{name} \u2014" in out.stdout or f"{name} -" in out.stdout or \
        f"{name} \u2010" in out.stdout, out.stdout[:400]
    # links between documents are reduced to their text
    assert "](" not in out.stdout


def test_help_names_pages_and_version_has_libbpf():
    for b in (FMD, CTL, os.path.join(BUILD, "flowmob-mh")):
        r = subprocess.run([b, "--help"], capture_output=True, text=True)
        assert r.returncode == 0
        for ref in ("flowmobd(8)" if b == CTL else "flowmobctl(8)", "flowmob.yaml(5)",
                    "flowmob-mh(1)" if b != CTL else "flowmobd(8)"):
            assert ref in r.stdout, (b, ref)
        if b == FMD:
            assert "journal" in r.stdout and "READY=1" in r.stdout
        r = subprocess.run([b, "--version"], capture_output=True, text=True)
        assert r.returncode == 0
        assert re.fullmatch(r"flowmob(d|ctl|-mh) \d+\.\d+\.\d+ \(libbpf \d+\.\d+\)\n",
                            r.stdout), \
            r.stdout


def test_make_install_tree_and_uninstall(man, tmp_path):
    dest = tmp_path / "root"
    r = make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    assert r.returncode == 0, r.stderr
    want = ["usr/sbin/flowmobd", "usr/sbin/flowmobctl", "usr/bin/flowmob-mh",
            "usr/share/man/man8/flowmobd.8", "usr/share/man/man8/flowmobctl.8",
            "usr/share/man/man1/flowmob-mh.1", "usr/share/man/man5/flowmob.yaml.5",
            "etc/flowmob/lma.yaml", "etc/flowmob/mag1.yaml", "etc/flowmob/mag2.yaml",
            "lib/systemd/system/flowmobd@.service",
            "usr/share/bash-completion/completions/flowmobctl",
            "usr/share/doc/flowmob/examples/lma.yaml"]
    for w in want:
        assert (dest / w).is_file(), w
    assert os.access(dest / "usr/sbin/flowmobd", os.X_OK)
    unit = (dest / "lib/systemd/system/flowmobd@.service").read_text()
    assert "ExecStart=/usr/sbin/flowmobd -c /etc/flowmob/%i.yaml" in unit
    assert "@" not in re.sub(r"flowmobd@|%i|\$MAINPID", "", unit.split("[Unit]", 1)[1]
                             .replace("flowmobd@lma", "")), "unsubstituted @VAR@"
    # the installed binary runs and checks an installed example
    r = subprocess.run([str(dest / "usr/sbin/flowmobd"), "-c", str(dest / "etc/flowmob/lma.yaml"),
                        "--check-config"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # a second install keeps an edited config
    cfg = dest / "etc/flowmob/lma.yaml"
    cfg.write_text(cfg.read_text() + "# edited\n")
    r = make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    assert r.returncode == 0 and "keeping" in r.stdout
    assert cfg.read_text().endswith("# edited\n")

    r = make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
    assert r.returncode == 0, r.stderr
    left = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert left == ["etc/flowmob/lma.yaml"], left  # only the edited config stays


def test_unit_verifies(man, tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    dest = tmp_path / "root"
    r = make("install", f"DESTDIR={dest}", "PREFIX=/usr")
    assert r.returncode == 0, r.stderr
    unit = (dest / "lib/systemd/system/flowmobd@.service").read_text()
    # verify the unit as it would run this tree's binaries and config
    unit = unit.replace("/usr/sbin/", f"{dest}/usr/sbin/").replace("/etc/flowmob/",
                                                                   f"{dest}/etc/flowmob/")
    u = tmp_path / "flowmobd@.service"
    u.write_text(unit)
    inst = tmp_path / "flowmobd@lma.service"
    os.symlink(u, inst)
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(inst)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    for opt in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                "CapabilityBoundingSet=CAP_BPF", "ProtectSystem=strict",
                "ReadWritePaths=/sys/fs/bpf", "StateDirectory=flowmob",
                "RuntimeDirectory=flowmob", "NoNewPrivileges=yes", "ProtectHome=yes"):
        assert opt in unit, opt


JOURNAL_HELPER = r"""
import os, socket, subprocess, sys
os.makedirs("/run/systemd/journal", exist_ok=True)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
env = dict(os.environ, FLOWMOB_LOG="journal")
p = subprocess.run(sys.argv[1:], env=env, capture_output=True, text=True)
sys.stdout.write("STDERR:" + p.stderr.replace("\n", " ") + "\n")
s.settimeout(2)
sys.stdout.write(s.recv(65536).decode())
"""


def test_journal_entries_have_fields(tmp_path):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare")
    helper = tmp_path / "journal.py"
    helper.write_text(JOURNAL_HELPER)
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("instance: x\nrole: lma\nbogus-key: 1\n")
    os.makedirs("/run/systemd", exist_ok=True)
    # a private /run/systemd: the fake journal socket is seen by this process only
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        "mount --make-rprivate / && mount -t tmpfs tmpfs /run/systemd && "
                        f"exec {sys.executable} {helper} {FMD} -c {cfg}"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "STDERR: \n" in out or "STDERR:\n" in out, out  # nothing on stderr
    assert "PRIORITY=3\n" in out
    assert "SYSLOG_IDENTIFIER=flowmobd\n" in out
    assert re.search(r"^MESSAGE=.*bogus-key", out, re.M), out


@pytest.mark.parametrize("block,ok", [
    ('metrics: {listen: "[::1]:9460"}', True),
    ('metrics: {listen: "127.0.0.1:9460", per-flow: true}', True),
    ('metrics: {listen: ":9460", per-flow: no}', True),
    ('metrics: {listen: "::1:9460"}', False),
    ('metrics: {listen: "[::1]:0"}', False),
    ('metrics: {per-flow: true}', False),
    ('metrics: {listen: "[::1]:9460", per-flow: maybe}', False),
    ('metrics: {listen: "[::1]:9460", bogus: 1}', False),
    ("routes: {table: 100}", True),
    ("routes: {table: 4000, proto: 12, home-prefixes: false}", True),
    ("routes: {table: 254}", False),
    ("routes: {table: 0}", False),
    ("routes: {proto: 12}", False),
    ("routes: {table: 100, proto: 256}", False),
    ("routes: {table: 100}", "mag"),
])
def test_metrics_and_routes_config(tmp_path, block, ok):
    role = "lma"
    if ok == "mag":  # routes: is for an LMA only
        role, ok = "mag1", False
    base = open(os.path.join(ROOT, "docs", "examples", role + ".yaml")).read()
    cfg = tmp_path / "lma.yaml"
    cfg.write_text(base + block + "\n")
    r = subprocess.run([FMD, "-c", str(cfg), "--check-config"], capture_output=True, text=True)
    assert (r.returncode == 0) == ok, r.stderr
    if not ok:
        assert r.returncode == 1 and block.split(":")[0] in r.stderr, r.stderr
