"""Shared pytest set-up for every Python suite under tests/.

Writes one TAP line per test to $FM_TAP_FILE (when set) so that
tests/run-suite.sh can add pytest's results to the project's one summary line.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

_tap = []


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.passed:
            _tap.append(f"ok - {report.nodeid}")
        elif report.skipped:
            _tap.append(f"ok - {report.nodeid} # SKIP")
        else:
            _tap.append(f"not ok - {report.nodeid}")
    elif report.when == "teardown" and report.failed:
        _tap.append(f"not ok - {report.nodeid} (teardown)")


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("FM_TAP_FILE")
    if path:
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in _tap))


# ---------------------------------------------------------------------------
# Namespace topology fixture (tests/nslib.py, tools/topo/flowmob-topo).

import pytest  # noqa: E402


def _topo_fixture():
    import nslib

    if os.geteuid() != 0:
        pytest.skip("namespace tests need root")
    t = nslib.Topo(nslib.unique_tag("t"))
    try:
        t.up()
        yield t
    finally:
        t.tool("down", check=False)
        left = t.present()
        if left:
            raise RuntimeError(f"namespaces left behind by topology {t.tag}: {left}")


@pytest.fixture
def topo():
    """A uniquely tagged cn — lma — mag1, mag2 — mn topology, always torn down.

    Yields an nslib.Topo: .cn .lma .mag1 .mag2 .mn (namespace names), .tag,
    .run(ns_or_role, cmd), .bg(...), .capture(...), .ping(...). Teardown runs on
    failure too (also when `up` itself failed half-way) and fails the test if a
    namespace of the tag is left behind."""
    yield from _topo_fixture()


@pytest.fixture(scope="module")
def topo_module():
    """The same, shared by the tests of one module (faster; tests must not leave
    state that the next one trips over)."""
    yield from _topo_fixture()
