# SPDX-License-Identifier: GPL-2.0
"""nslib: helpers for namespace tests (docs/topology.md, "Writing a namespace test").

Owns: running commands inside network namespaces, waiting for conditions with
timeouts, background processes that are always stopped, packet captures with
dumpcap (read back with tshark), a Topo object around tools/topo/flowmob-topo,
and small in-namespace network probes (ICMPv6 echo, UDP echo server/client)
because the machines have no ping, nc or socat.

The probes run this file as a script inside a namespace:
    ip netns exec NS /usr/bin/python3 tests/nslib.py ping fd00:1::1
"""
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TOPO_TOOL = os.path.join(REPO, "tools", "topo", "flowmob-topo")
LUA = os.path.join(REPO, "tools", "wireshark", "flowmob.lua")  # tshark lua=nslib.LUA
PYTHON = "/usr/bin/python3"
ROLES = ("cn", "lma", "mag1", "mag2", "mn")


class NsError(Exception):
    pass


def unique_tag(prefix="t"):
    """A short tag unique among concurrent test runs (pid + random)."""
    return f"{prefix}{os.getpid() % 0xffff:x}{random.randrange(16 ** 4):04x}"


def _argv(ns, cmd):
    if isinstance(cmd, str):
        cmd = ["/bin/sh", "-c", cmd]
    return (["ip", "netns", "exec", ns] if ns else []) + list(cmd)


def run(ns, cmd, check=True, timeout=30, input=None):
    """Runs cmd (a list, or a string for /bin/sh -c) in namespace ns (None: host).

    Returns subprocess.CompletedProcess with text stdout/stderr; raises NsError on a
    non-zero exit when check is true, and on timeout."""
    argv = _argv(ns, cmd)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired as e:
        raise NsError(f"timed out after {timeout}s: {argv}") from e
    if check and p.returncode != 0:
        raise NsError(f"{argv} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def wait_for(pred, timeout=10.0, interval=0.1, what="condition"):
    """Calls pred() until it returns something truthy; returns that value.

    Raises TimeoutError naming `what` when timeout seconds pass first. Exceptions
    raised by pred count as 'not yet' (the last one is chained)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - a probe that fails is 'not yet'
            last_exc = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from last_exc
        time.sleep(interval)


class Bg:
    """A background process in a namespace, stopped by stop() or on context exit.

    Output goes to a log file (self.log); the process gets its own session so
    stop() signals exactly it and its children, nothing else."""

    def __init__(self, ns, cmd, log=None, env=None):
        self.argv = _argv(ns, cmd)
        if log is None:
            fd, log = tempfile.mkstemp(prefix="nslib-", suffix=".log")
            os.close(fd)
        self.log = log
        self._f = open(log, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=self._f, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env=env)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def send_signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Stops the process group (sig, then SIGKILL after timeout); returns the exit code."""
        if self.alive():
            self.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                self.proc.wait(5)
        if not self._f.closed:
            self._f.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Capture:
    """A dumpcap capture on one or more interfaces of a namespace (pcapng).

        with Capture(ns, ["mn-mag1", "mn-mag2"], "/tmp/x.pcapng") as cap:
            ...
        rows = cap.fields(["frame.interface_name", "ipv6.src"], "udp")
    """

    def __init__(self, ns, ifaces, path=None, bpf_filter=None, start_timeout=10.0):
        if isinstance(ifaces, str):
            ifaces = [ifaces]
        if path is None:
            fd, path = tempfile.mkstemp(prefix="nslib-", suffix=".pcapng")
            os.close(fd)
        self.path = path
        self.ns = ns
        cmd = ["dumpcap", "-q", "-w", path]
        for i in ifaces:
            cmd += ["-i", i]
            if bpf_filter:
                cmd += ["-f", bpf_filter]
        self.bg = Bg(ns, cmd, log=path + ".log")
        wait_for(lambda: "Capturing on" in self.bg.output() or not self.bg.alive(),
                 timeout=start_timeout, interval=0.05, what=f"dumpcap on {ifaces}")
        if not self.bg.alive():
            raise NsError(f"dumpcap failed: {self.bg.output()}")
        time.sleep(0.1)  # the interfaces are open; let the kernel attach the sockets

    def stop(self, settle=0.5):
        """Stops dumpcap. It reads the kernel's packet ring in blocks that are handed
        over at the latest after its 250 ms read timeout, and drops what is still
        pending on SIGINT: wait `settle` seconds first so nothing sent is lost."""
        if self.bg.alive():
            time.sleep(settle)
            self.bg.stop(signal.SIGINT)
        return self.path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def fields(self, fields, display_filter=None, lua=None):
        """Stops the capture and returns rows (lists of strings) of tshark -T fields,
        in time order (a multi-interface pcapng is not written in time order)."""
        self.stop()
        fields = list(fields)
        if "frame.time_epoch" in fields:  # tshark leaves a repeated field empty
            rows = tshark_fields(self.path, fields, display_filter, lua)
            i = fields.index("frame.time_epoch")
            return sorted(rows, key=lambda r: float(r[i]))
        rows = tshark_fields(self.path, ["frame.time_epoch"] + fields, display_filter, lua)
        rows.sort(key=lambda r: float(r[0]))
        return [r[1:] for r in rows]


def tshark(args, lua=None, timeout=60):
    cmd = ["tshark", "-n"]
    if lua:
        cmd += ["-X", f"lua_script:{lua}"]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise NsError(f"tshark {args} failed: {p.stderr}")
    return p.stdout


def tshark_fields(path, fields, display_filter=None, lua=None, sep="\t"):
    args = ["-r", path, "-T", "fields", "-E", f"separator={sep}", "-E", "occurrence=a",
            "-E", "aggregator=,"]
    for f in fields:
        args += ["-e", f]
    if display_filter:
        args += ["-Y", display_filter]
    out = tshark(args, lua=lua)
    return [line.split(sep) for line in out.splitlines()]


def tshark_json(path, display_filter=None, lua=None):
    args = ["-r", path, "-T", "json"]
    if display_filter:
        args += ["-Y", display_filter]
    return json.loads(tshark(args, lua=lua) or "[]")


# ---------------------------------------------------------------------------
# the topology


class Topo:
    """One tagged instance of the test topology (tools/topo/flowmob-topo)."""

    def __init__(self, tag=None):
        self.tag = tag or unique_tag()
        self.names = {r: f"{self.tag}-{r}" for r in ROLES}
        self.cn, self.lma, self.mag1, self.mag2, self.mn = (self.names[r] for r in ROLES)

    def tool(self, *args, check=True, timeout=60):
        p = subprocess.run([PYTHON, TOPO_TOOL, *args, "--tag", self.tag],
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise NsError(f"flowmob-topo {' '.join(args)} --tag {self.tag} exited "
                          f"{p.returncode}: {p.stderr}")
        return p

    def up(self, *extra):
        self.tool("up", *extra)
        return self

    def down(self):
        return self.tool("down")

    def status(self):
        return json.loads(self.tool("status", "--json", check=False).stdout)

    def ns(self, name):
        """A role ('mn') or a namespace name ('t1-mn') -> namespace name."""
        return self.names.get(name, name)

    def run(self, ns, cmd, **kw):
        return run(self.ns(ns), cmd, **kw)

    def bg(self, ns, cmd, **kw):
        return Bg(self.ns(ns), cmd, **kw)

    def capture(self, ns, ifaces, path=None, **kw):
        return Capture(self.ns(ns), ifaces, path, **kw)

    def ping(self, ns, dst, **kw):
        return ping(self.ns(ns), dst, **kw)

    def solicit(self, iface=None):
        args = ["solicit"] + (["--iface", iface] if iface else [])
        self.tool(*args)

    def addrs(self, ns, ifname, scope="global"):
        """IPv6 addresses (without prefix length) of ifname in ns, e.g. the MN's SLAAC ones."""
        p = run(self.ns(ns), ["ip", "-j", "-6", "addr", "show", "dev", ifname])
        out = []
        for link in json.loads(p.stdout or "[]"):
            for a in link.get("addr_info", []):
                if a.get("family") == "inet6" and (scope is None or a.get("scope") == scope) \
                        and not a.get("tentative"):
                    out.append(a["local"])
        return out

    def wait_mn_addr(self, ifname, prefix=None, timeout=10.0):
        """Waits until the MN has a global address on ifname (inside prefix, e.g.
        'fd00:100:1::/64', when given) and returns it."""
        import ipaddress
        net = ipaddress.ip_network(prefix) if prefix else None

        def probe():
            for a in self.addrs("mn", ifname):
                if net is None or ipaddress.ip_address(a) in net:
                    return a
            return None
        return wait_for(probe, timeout=timeout, what=f"MN address on {ifname} in {prefix}")

    def present(self):
        return [n for n in self.names.values() if os.path.exists(f"/run/netns/{n}")]


# ---------------------------------------------------------------------------
# probes (run inside a namespace by `python3 nslib.py ...`)


def _probe(ns, *args, timeout=30):
    return run(ns, [PYTHON, os.path.abspath(__file__), *args], check=False, timeout=timeout)


def ping(ns, dst, count=1, timeout=1.0, src=None):
    """ICMPv6 echo from ns to dst: True when a reply came back."""
    args = ["ping", dst, str(count), str(timeout)] + ([src] if src else [])
    return _probe(ns, *args, timeout=count * timeout + 10).returncode == 0


def udp_request(ns, dst, port, payload="hello", src=None, sport=0, timeout=2.0):
    """Sends one UDP datagram from ns (optionally from src/sport) and returns the
    reply text (None if none came within timeout)."""
    args = ["udp-send", dst, str(port), payload, str(timeout), src or "::", str(sport)]
    p = _probe(ns, *args, timeout=timeout + 10)
    return p.stdout.rstrip("\n") if p.returncode == 0 else None


def udp_echo_server(ns, port, bind="::", log=None):
    """A Bg UDP echo server in ns: replies '<echo>:<payload>' to every datagram."""
    b = Bg(ns, [PYTHON, os.path.abspath(__file__), "udp-echo", bind, str(port)], log=log)
    wait_for(lambda: "ready" in b.output() or not b.alive(), timeout=10, what="udp echo server")
    if not b.alive():
        raise NsError(f"udp echo server died: {b.output()}")
    return b


def mh_send(ns, dst, mh, src=None):
    """Sends Mobility Header bytes from ns through a raw IPPROTO_MH socket; the
    kernel fills in the checksum (offset 4) and the IPv6 header."""
    args = ["mh-send", dst, mh.hex()] + ([src] if src else [])
    p = _probe(ns, *args)
    if p.returncode != 0:
        raise NsError(f"mh-send failed: {p.stdout}{p.stderr}")


def mh_listener(ns, log=None):
    """A Bg raw IPPROTO_MH socket in ns printing '<src> <hex>' per received message
    (the kernel drops messages with a bad checksum before they get here)."""
    b = Bg(ns, [PYTHON, os.path.abspath(__file__), "mh-recv"], log=log)
    wait_for(lambda: "ready" in b.output() or not b.alive(), timeout=10, what="MH listener")
    if not b.alive():
        raise NsError(f"MH listener died: {b.output()}")
    return b


def mh_received(listener):
    """[(src, bytes)] received so far by an mh_listener."""
    out = []
    for line in listener.output().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] != "ready":
            out.append((parts[0], bytes.fromhex(parts[1])))
    return out


def _icmp6_ping(dst, count, timeout, src):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    ident = os.getpid() & 0xffff
    info = socket.getaddrinfo(dst, None, socket.AF_INET6)[0][4]
    ok = 0
    for seq in range(count):
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"nslib", info)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                break
            if len(data) >= 8 and data[0] == 129:
                _, _, _, rid, rseq = struct.unpack("!BBHHH", data[:8])
                if rid == ident and rseq == seq:
                    ok += 1
                    break
    return ok


def _main(argv):
    cmd = argv[0]
    if cmd == "ping":
        dst, count, timeout = argv[1], int(argv[2]), float(argv[3])
        src = argv[4] if len(argv) > 4 else None
        return 0 if _icmp6_ping(dst, count, timeout, src) > 0 else 1
    if cmd == "udp-echo":
        bind, port = argv[1], int(argv[2])
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((bind, port))
        print("ready", flush=True)
        while True:
            data, peer = s.recvfrom(65535)
            print(f"from {peer[0]} {data[:64]!r}", flush=True)
            s.sendto(b"echo:" + data, peer)
    if cmd == "udp-send":
        dst, port, payload, timeout = argv[1], int(argv[2]), argv[3], float(argv[4])
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        if len(argv) > 6:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((argv[5], int(argv[6])))
        s.settimeout(timeout)
        s.sendto(payload.encode(), (dst, port))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            return 1
        print(data.decode(errors="replace"))
        return 0
    if cmd == "mh-send":
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
        if len(argv) > 3:
            s.bind((argv[3], 0))
        s.sendto(bytes.fromhex(argv[2]), (argv[1], 0))
        return 0
    if cmd == "mh-recv":
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 135)
        print("ready", flush=True)
        while True:
            data, peer = s.recvfrom(65535)
            print(f"{peer[0]} {data.hex()}", flush=True)
    print(f"nslib: unknown probe {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
