# SPDX-License-Identifier: GPL-2.0
"""attachments: the kernel's own list of the BPF programs attached to the interfaces
of a network namespace, for the tests of the attach modes (tests/bpf, tests/e2e).

    attachments(run_in_ns, ids=False) -> {ifname: [(kind, detail, program name or id), ...]}

kind "xdp" (detail "driver" or "generic", from `bpftool net show`, i.e. netlink),
"tc" (a legacy clsact filter, detail its hook) or "tcx" (detail "ingress", from the
kernel's BPF_PROG_QUERY on the interface: Debian 12's bpftool 7.1 does not list tcx
links). Run as a script inside a namespace (`ip netns exec NS python3 attachments.py`)
it prints that dictionary as JSON; run_in_ns is a callable that runs an argv there
and returns its CompletedProcess.
"""
import ctypes
import json
import os
import subprocess
import sys

BPF_PROG_QUERY = 16
BPF_TCX_INGRESS = 46
NR_BPF = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine, 321)


def tcx_prog_ids(ifindex):
    """Program ids on the interface's tcx ingress hook ([] when none or no tcx)."""
    libc = ctypes.CDLL(None, use_errno=True)
    ids = (ctypes.c_uint32 * 64)()
    attr = (ctypes.c_uint8 * 64)()
    ctypes.c_uint32.from_buffer(attr, 0).value = ifindex
    ctypes.c_uint32.from_buffer(attr, 4).value = BPF_TCX_INGRESS
    ctypes.c_uint64.from_buffer(attr, 16).value = ctypes.addressof(ids)
    ctypes.c_uint32.from_buffer(attr, 24).value = len(ids)
    if libc.syscall(NR_BPF, BPF_PROG_QUERY, attr, ctypes.sizeof(attr)) != 0:
        return []
    return list(ids[:ctypes.c_uint32.from_buffer(attr, 24).value])


def prog_name(prog_id):
    out = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(prog_id)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["name"]


def here(ids=False):
    """{ifname: [(kind, detail, name), ...]} of the current namespace (ids: the
    program's id instead of its name)."""
    got = {}
    net = json.loads(subprocess.run(["bpftool", "-j", "net", "show"], capture_output=True,
                                    text=True, check=True).stdout)[0]
    for x in net["xdp"]:
        got.setdefault(x["devname"], []).append(("xdp", x["mode"], x["id"] if ids else prog_name(x["id"])))
    for x in net["tc"]:
        got.setdefault(x["devname"], []).append(("tc", x["kind"],
                                                  x["id"] if ids else x["name"].split(":")[0]))
    links = json.loads(subprocess.run(["ip", "-j", "link", "show"], capture_output=True,
                                      text=True, check=True).stdout)
    for link in links:
        for pid in tcx_prog_ids(link["ifindex"]):
            got.setdefault(link["ifname"], []).append(("tcx", "ingress", pid if ids else prog_name(pid)))
    return got


def attachments(run_in_ns, ids=False):
    out = run_in_ns([sys.executable or "python3", os.path.abspath(__file__)] +
                    (["--ids"] if ids else [])).stdout
    return {k: [tuple(x) for x in v] for k, v in json.loads(out).items()}


if __name__ == "__main__":
    print(json.dumps(here(ids="--ids" in sys.argv)))
