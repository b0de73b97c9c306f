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
