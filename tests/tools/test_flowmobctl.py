# SPDX-License-Identifier: GPL-2.0
"""flowmobctl against a fake flowmobd: a Python Unix-socket server speaking the
control protocol (docs/control-protocol.md). Checks the exact request each
command sends, the table and JSON it prints, error replies and unreachable
sockets (exit 1), bad arguments (exit 2), and the monitor stream."""
import json
import os
import socket
import subprocess
import tempfile
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CTL = os.path.join(ROOT, "build", "flowmobctl")

BINDING = {"mn": "mn1@example.net", "bid": 1, "att": 4, "mag": "fd00:11::2",
           "prefixes": ["fd00:100::/64", "fd00:100:0:1::/64"], "lifetime": 3597,
           "state": "active", "packets": 12, "bytes": 3400}
FLOW = {"mn": "mn1@example.net", "fid": 1, "priority": 10,
        "selector": {"next_header": [17], "dst_port": [5000, 5999]}, "bids": [1, 2],
        "action": "forward", "active": True, "packets": 5, "bytes": 700}


class FakeDaemon:
    """Answers each request line with replies[cmd] (a dict, or a callable of the
    request), records requests; "monitor" gets an ack then the queued events."""

    def __init__(self, path, replies=None, events=(), raw_reply=None):
        self.path = path
        self.replies = replies or {}
        self.events = list(events)
        self.raw_reply = raw_reply
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(10)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            while True:
                conn, _ = self.sock.accept()
                self.handle(conn)
        except OSError:
            return

    def handle(self, conn):
        with conn:
            f = conn.makefile("rwb")
            line = f.readline()
            if not line:
                return
            req = json.loads(line)
            self.requests.append(req)
            if self.raw_reply is not None:
                f.write(self.raw_reply)
                f.flush()
                return
            cmd = req.get("cmd")
            if cmd == "monitor":
                f.write(b'{"ok":true,"result":null}\n')
                for ev in self.events:
                    f.write(json.dumps(ev).encode() + b"\n")
                f.flush()
                return
            rep = self.replies.get(cmd)
            if callable(rep):
                rep = rep(req)
            if rep is None:
                rep = {"ok": False, "error": f"unknown command '{cmd}'"}
            f.write(json.dumps(rep).encode() + b"\n")
            f.flush()

    def close(self):
        self.sock.close()


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="fm-ctl-") as d:
        yield d


@pytest.fixture
def daemon(tmp):
    servers = []

    def make(**kw):
        s = FakeDaemon(os.path.join(tmp, "d.sock"), **kw)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("FLOWMOB_SOCKET", None)
    if env:
        e.update(env)
    return subprocess.run([CTL, *args], capture_output=True, text=True, timeout=20, env=e)


def ok(result):
    return {"ok": True, "result": result}


# ---- requests and output -------------------------------------------------------------

def test_bindings_table(daemon):
    d = daemon(replies={"bindings": ok([BINDING, dict(BINDING, bid=2, att=8, mag="fd00:12::2",
                                                      prefixes=[], state="peer-down")])})
    r = run("-s", d.path, "bindings")
    assert r.returncode == 0, r.stderr
    # pages asked for; a daemon that answers with the whole array is understood
    assert d.requests == [{"cmd": "bindings", "offset": 0, "limit": 2000}]
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["MN", "BID", "ATT", "MAG", "PREFIXES", "LIFETIME", "STATE",
                                "PACKETS", "BYTES"]
    assert lines[1].split() == ["mn1@example.net", "1", "4", "fd00:11::2",
                                "fd00:100::/64,fd00:100:0:1::/64", "3597", "active", "12",
                                "3400"]
    assert lines[2].split() == ["mn1@example.net", "2", "8", "fd00:12::2", "-", "3597",
                                "peer-down", "12", "3400"]
    # columns line up: every row's BID column starts where the header's does
    col = lines[0].index("BID")
    assert lines[1][col] == "1" and lines[2][col] == "2"


def test_bindings_pages(daemon):
    """flowmobctl fetches every page ("next" until null) and prints one array."""
    rows = [dict(BINDING, bid=i + 1) for i in range(4500)]

    def page(req):
        o, n = req["offset"], req["limit"]
        nxt = o + n if o + n < len(rows) else None
        return ok({"items": rows[o:o + n], "offset": o, "total": len(rows), "next": nxt})

    d = daemon(replies={"bindings": page})
    r = run("-j", "-s", d.path, "bindings")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1
    assert json.loads(r.stdout) == rows
    assert [q["offset"] for q in d.requests] == [0, 2000, 4000]
    r = run("-s", d.path, "bindings")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 4501


def test_bindings_json(daemon):
    d = daemon(replies={"bindings": ok([BINDING])})
    r = run("-j", "-s", d.path, "bindings")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1
    assert json.loads(r.stdout) == [BINDING]


def test_flows_table_selector_text(daemon):
    d = daemon(replies={"flows": ok([FLOW, dict(FLOW, fid=2, selector={}, action="drop",
                                                active=False, bids=[])])})
    r = run("-s", d.path, "flows")
    assert r.returncode == 0, r.stderr
    assert d.requests == [{"cmd": "flows", "offset": 0, "limit": 2000}]
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["MN", "FID", "PRIORITY", "SELECTOR", "BIDS", "ACTION", "ACTIVE",
                                "PACKETS", "BYTES"]
    assert "next-header 17 dst-port 5000-5999" in lines[1]
    assert lines[1].split()[-5:] == ["1,2", "forward", "yes", "5", "700"]
    assert lines[2].split()[3:] == ["any", "-", "drop", "no", "5", "700"]


def test_stats_flat(daemon):
    stats = {"dataplane": {"rx": 10, "drop_spoof": 2},
             "signaling": {"rx": {"pbu": 3}, "tx": {"pba": 3}, "status": {"pba:0": 2,
                                                                          "pba:154": 1}}}
    d = daemon(replies={"stats": ok(stats)})
    r = run("-s", d.path, "stats")
    assert r.returncode == 0, r.stderr
    got = dict(line.split() for line in r.stdout.splitlines())
    assert got == {"dataplane.rx": "10", "dataplane.drop_spoof": "2",
                   "signaling.rx.pbu": "3", "signaling.tx.pba": "3",
                   "signaling.status.pba:0": "2", "signaling.status.pba:154": "1"}
    r = run("-j", "-s", d.path, "stats")
    assert json.loads(r.stdout) == stats


def test_peers_and_mag_bindings(daemon):
    peers = [{"mag": "fd00:11::2", "state": "up", "restart_counter": 3, "last_seen": 1.5,
              "bindings": 1}]
    mb = [{"mn": "mn1@example.net", "iface": "mag1-mn", "mac": "02:00:00:00:01:01", "att": 4,
           "bid": 1, "prefixes": ["fd00:100::/64"], "state": "registered", "lifetime": 3590}]
    d = daemon(replies={"peers": ok(peers), "mag.bindings": ok(mb)})
    r = run("-s", d.path, "peers")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["MAG", "STATE", "RESTART", "COUNTER", "LAST", "SEEN",
                                "BINDINGS"]
    assert lines[1].split() == ["fd00:11::2", "up", "3", "1.500", "1"]
    r = run("-s", d.path, "mag-bindings")
    assert r.returncode == 0, r.stderr
    assert d.requests[-1] == {"cmd": "mag.bindings"}
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["MN", "IFACE", "MAC", "ATT", "BID", "PREFIXES", "STATE",
                                "LIFETIME"]
    assert lines[1].split() == ["mn1@example.net", "mag1-mn", "02:00:00:00:01:01", "4", "1",
                                "fd00:100::/64", "registered", "3590"]


def test_flow_add_request(daemon):
    d = daemon(replies={"flow.add": lambda req: ok(dict(FLOW, fid=req["fid"]))})
    r = run("-s", d.path, "flow", "add", "mn1@example.net", "--fid", "7", "--priority", "5",
            "--selector", "next-header 17 dst-port 5000-5999", "--bid", "2")
    assert r.returncode == 0, r.stderr
    assert d.requests == [{"cmd": "flow.add", "mn": "mn1@example.net", "fid": 7, "priority": 5,
                           "selector": {"dst_port": [5000, 5999], "next_header": [17]},
                           "bid": 2, "action": "forward"}]
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["MN", "FID"]
    assert lines[1].split()[:3] == ["mn1@example.net", "7", "10"]


def test_flow_add_drop_addresses_defaults(daemon):
    d = daemon(replies={"flow.add": ok(FLOW)})
    r = run("-j", "-s", d.path, "flow", "add", "--drop", "--fid", "3", "mn2@example.net",
            "--selector", "dst-addr fd00:1::/64 src-port 53")
    assert r.returncode == 0, r.stderr
    assert d.requests == [{"cmd": "flow.add", "mn": "mn2@example.net", "fid": 3,
                           "priority": 100, "action": "drop",
                           "selector": {"dst_addr": ["fd00:1::", "fd00:1::ffff:ffff:ffff:ffff"],
                                        "src_port": [53]}}]
    assert json.loads(r.stdout) == FLOW


def test_flow_add_ipv4_selector(daemon):
    d = daemon(replies={"flow.add": ok(FLOW)})
    r = run("-s", d.path, "flow", "add", "mn1@example.net", "--fid", "4", "--bid", "1",
            "--selector", "dst-addr 10.0.0.1 protocol 6")
    assert r.returncode == 0, r.stderr
    assert d.requests[0]["selector"] == {"dst_addr": ["10.0.0.1"], "protocol": [6]}


def test_flow_move_and_del(daemon):
    d = daemon(replies={"flow.move": ok(FLOW), "flow.del": ok(None)})
    r = run("-s", d.path, "flow", "move", "mn1@example.net", "1", "--bid", "2")
    assert r.returncode == 0, r.stderr
    r = run("-s", d.path, "flow", "move", "mn1@example.net", "1", "--att", "8")
    assert r.returncode == 0, r.stderr
    r = run("-s", d.path, "flow", "del", "mn1@example.net", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    r = run("-j", "-s", d.path, "flow", "del", "mn1@example.net", "1")
    assert r.stdout == "null\n"
    assert d.requests == [
        {"cmd": "flow.move", "mn": "mn1@example.net", "fid": 1, "bid": 2},
        {"cmd": "flow.move", "mn": "mn1@example.net", "fid": 1, "att": 8},
        {"cmd": "flow.del", "mn": "mn1@example.net", "fid": 1},
        {"cmd": "flow.del", "mn": "mn1@example.net", "fid": 1},
    ]


def test_attach_detach(daemon):
    mb = {"mn": "mn1@example.net", "iface": "mag1-mn", "mac": "02:00:00:00:01:01", "att": 4,
          "bid": 0, "prefixes": [], "state": "registering", "lifetime": 0}
    d = daemon(replies={"attach": ok(mb), "detach": ok(None)})
    r = run("-s", d.path, "attach", "mn1@example.net", "mag1-mn")
    assert r.returncode == 0, r.stderr
    assert "registering" in r.stdout.splitlines()[1]
    r = run("-s", d.path, "detach", "mn1@example.net", "mag1-mn")
    assert r.returncode == 0, r.stderr
    assert d.requests == [{"cmd": "attach", "mn": "mn1@example.net", "iface": "mag1-mn"},
                          {"cmd": "detach", "mn": "mn1@example.net", "iface": "mag1-mn"}]


def test_monitor_json_and_text(daemon):
    events = [{"event": "registration", "time": 1764168000.25, "mn": "mn1@example.net",
               "bid": 1, "mag": "fd00:11::2", "prefixes": ["fd00:100::/64"]},
              {"event": "reject", "time": 1764168001.0, "mag": "fd00:99::2", "status": 154}]
    d = daemon(events=events)
    r = run("-j", "-s", d.path, "monitor")
    # the fake daemon closes the stream after its events: flowmobd went away, which
    # a script must see (issue 11 point 9: it exited 0 without a word)
    assert r.returncode == 1
    assert "closed the connection" in r.stderr
    assert d.requests == [{"cmd": "monitor"}]
    assert [json.loads(line) for line in r.stdout.splitlines()] == events
    r = run("-s", d.path, "monitor")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert "registration" in lines[0] and "mn=mn1@example.net" in lines[0]
    assert "prefixes=fd00:100::/64" in lines[0]
    assert "reject" in lines[1] and "status=154" in lines[1]


def test_raw(daemon):
    d = daemon(replies={"help": ok(["monitor", "bindings"])})
    r = run("-j", "-s", d.path, "raw", '{"cmd":"help","x":[1]}')
    assert r.returncode == 0, r.stderr
    assert d.requests == [{"cmd": "help", "x": [1]}]
    assert json.loads(r.stdout) == ["monitor", "bindings"]


# ---- socket selection ------------------------------------------------------------------

def test_socket_from_env(daemon):
    d = daemon(replies={"version": ok({"version": "9.9"})})
    r = run("-j", "version", env={"FLOWMOB_SOCKET": d.path})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"version": "9.9"}


def test_instance_socket_path():
    r = run("-i", "fm-test-no-such-instance-%d" % os.getpid(), "bindings")
    assert r.returncode == 1
    assert "/run/flowmob/fm-test-no-such-instance-" in r.stderr
    assert ".sock" in r.stderr


# ---- errors ----------------------------------------------------------------------------

def test_error_reply_exit_1(daemon):
    d = daemon(replies={"flow.del": {"ok": False, "error": "unknown MN 'x@y'"}})
    r = run("-s", d.path, "flow", "del", "x@y", "1")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.strip() == "flowmobctl: unknown MN 'x@y'"


def test_unreachable_exit_1(tmp):
    path = os.path.join(tmp, "nobody.sock")
    r = run("-s", path, "bindings")
    assert r.returncode == 1
    assert path in r.stderr and "flowmobctl:" in r.stderr


def test_stale_socket_exit_1(tmp):
    path = os.path.join(tmp, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()  # bound, never listening: connection refused
    r = run("-s", path, "flows")
    assert r.returncode == 1
    assert "refused" in r.stderr.lower()


@pytest.mark.parametrize("raw", [b"not json\n", b"[1]\n", b"{\"result\": 1}\n", b""])
def test_broken_reply_exit_1(daemon, raw):
    d = daemon(raw_reply=raw)
    r = run("-s", d.path, "bindings")
    assert r.returncode == 1
    assert "flowmobctl:" in r.stderr


@pytest.mark.parametrize("args,needle", [
    ([], "no command"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--bogus", "bindings"], "unknown option"),
    (["-s"], "needs a value"),
    (["-s", "/x", "-i", "y", "bindings"], "exclude"),
    (["bindings", "extra"], "unexpected argument"),
    (["flow"], "add, move or del"),
    (["flow", "copy"], "unknown subcommand"),
    (["flow", "add", "mn", "--selector", "dst-port 1", "--bid", "1"], "--fid is required"),
    (["flow", "add", "mn", "--fid", "1", "--bid", "1"], "--selector is required"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "dst-port 1"], "--bid is required"),
    (["flow", "add", "--fid", "1", "--selector", "", "--bid", "1"], "exactly one MN"),
    (["flow", "add", "mn", "--fid", "0", "--selector", "", "--bid", "1"], "--fid"),
    (["flow", "add", "mn", "--fid", "70000", "--selector", "", "--bid", "1"], "--fid"),
    (["flow", "add", "mn", "--fid", "x", "--selector", "", "--bid", "1"], "--fid"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "dst-port", "--bid", "1"], "--selector"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "colour red", "--bid", "1"],
     "colour"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "dst-port 9-1", "--bid", "1"],
     "--selector"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "", "--bid", "1", "--att", "4"],
     "--att"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "", "--bid"], "needs a value"),
    (["flow", "add", "mn", "--fid", "1", "--selector", "", "--frob"], "unknown option"),
    (["flow", "move", "mn", "1"], "exactly one of --bid and --att"),
    (["flow", "move", "mn", "1", "--bid", "1", "--att", "4"], "exactly one of"),
    (["flow", "move", "mn", "--bid", "1"], "MN and FID"),
    (["flow", "move", "mn", "1", "--att", "256"], "--att"),
    (["flow", "move", "mn", "1", "--bid", "2", "--fid", "3"], "only"),
    (["flow", "del", "mn"], "MN and FID"),
    (["flow", "del", "mn", "1", "--bid", "1"], "only MN and FID"),
    (["flow", "del", "mn", "abc"], "FID"),
    (["attach", "mn"], "MN (its NAI) and IFACE"),
    (["detach", "mn", "if", "more"], "MN (its NAI) and IFACE"),
    (["attach", "", "if0"], "must not be empty"),
    (["-t", "0", "bindings"], "-t"),
    (["raw"], "raw"),
    (["raw", "{\"x\": 1}"], "cmd"),
    (["raw", "nope"], "raw"),
])
def test_usage_errors_exit_2(tmp, args, needle):
    # a socket that would answer if flowmobctl got that far: nothing must be sent
    path = os.path.join(tmp, "never.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(0.2)
    try:
        r = run(*(["-s", path] if "-s" not in args and "-i" not in args else []), *args)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert needle in r.stderr, r.stderr
        assert "Usage:" in r.stderr
        assert r.stdout == ""
        with pytest.raises(socket.timeout):
            srv.accept()
    finally:
        srv.close()


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0
    for word in ("SYNOPSIS", "OPTIONS", "COMMANDS", "EXIT STATUS", "flow add", "monitor",
                 "--selector", "/run/flowmob"):
        assert word in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("flowmobctl ")
