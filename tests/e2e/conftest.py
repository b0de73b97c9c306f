# SPDX-License-Identifier: GPL-2.0
"""The `system` fixture: the LMA and both MAGs (flowmobd) running in a fresh
topology (tests/e2e/fmsystem.py). Options come from the test's marker:

    @pytest.mark.system(prefix_policy="unique", flow_signaling="upn", policies=[...])
    def test_x(system): ...

The daemons are started but the MN is not attached (system.attach("mag1")).
Teardown, also on failure: SIGTERM to every daemon, `flowmobd -c CFG --cleanup`
for each role, topology down; it fails the test if a namespace or a pin
directory of the test is left behind. Daemon logs are printed (shown by pytest
for a failed test).
"""
import os

import pytest

import fmsystem
import nslib


def pytest_configure(config):
    config.addinivalue_line("markers", "system(**opts): options of the `system` fixture "
                            "(fmsystem.System)")


@pytest.fixture
def system(request):
    if os.geteuid() != 0:
        pytest.skip("namespace tests need root")
    for b in (fmsystem.FLOWMOBD, fmsystem.FLOWMOBCTL):
        if not os.path.exists(b):
            pytest.skip(f"{b} not built (make all)")
    m = request.node.get_closest_marker("system")
    opts = dict(m.kwargs) if m else {}
    start = opts.pop("start", True)
    topo = nslib.Topo(nslib.unique_tag("s"))
    s = None
    try:
        topo.up()
        s = fmsystem.System(topo, **opts)
        if start:
            s.start_all()
        yield s
    finally:
        problems = []
        if s is not None:
            problems += s.cleanup()
            s.dump_logs()
        topo.tool("down", check=False)
        problems += topo.present()
        if s is not None and not problems:
            s.remove_dir()
        if problems:
            raise RuntimeError(f"left behind by {topo.tag}: {problems}")
