"""Shared fixtures: every test taking `device` runs on each available device.

CLGRAD_TEST_DEVICES (comma-separated, e.g. "cpu" or "cl:0") narrows the list. The device list
and other shared test code live in helpers.py; test files import that, not this file.
"""
from __future__ import annotations

import os

import pytest

from helpers import DEVICES


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    return request.param


@pytest.fixture
def cl_device() -> str:
    cl = [d for d in DEVICES if d.startswith("cl")]
    if not cl:
        pytest.skip("no OpenCL device available")
    return cl[0]


# -- tests that skipped for want of PyTorch ------------------------------------------------
# .ci/run runs the README's test command in a venv without torch (as a new user has it), then
# installs torch and reruns only what skipped for its absence. CLGRAD_RECORD_TORCH_SKIPS names
# the file that collects those node ids, one per line (pytest reads it back as @file).

def _record_torch_skip(report) -> None:
    path = os.environ.get("CLGRAD_RECORD_TORCH_SKIPS")
    if path and report.skipped and "torch" in str(report.longrepr):
        with open(path, "a", encoding="utf-8") as f:
            f.write(report.nodeid + "\n")


def pytest_runtest_logreport(report) -> None:
    _record_torch_skip(report)


def pytest_collectreport(report) -> None:
    _record_torch_skip(report)  # a module that calls pytest.importorskip("torch") at the top
