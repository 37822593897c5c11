"""Shared fixtures: every test taking `device` runs on each available device.

CLGRAD_TEST_DEVICES (comma-separated, e.g. "cpu" or "cl:0") narrows the list.
"""
from __future__ import annotations

import os

import pytest

import clgrad


def available_devices() -> list:
    wanted = os.environ.get("CLGRAD_TEST_DEVICES")
    if wanted:
        return [d.strip() for d in wanted.split(",") if d.strip()]
    devices = ["cpu"]
    if clgrad.cl.is_available():
        devices += [f"cl:{i}" for i in range(clgrad.cl.device_count())]
    return devices


DEVICES = available_devices()


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    return request.param


@pytest.fixture
def cl_device() -> str:
    cl = [d for d in DEVICES if d.startswith("cl")]
    if not cl:
        pytest.skip("no OpenCL device available")
    return cl[0]


def device_supports_fp64(device: str) -> bool:
    if device == "cpu":
        return True
    return clgrad.cl.get_device_properties(clgrad.device(device).index).fp64
