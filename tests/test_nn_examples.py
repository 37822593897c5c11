"""The runnable examples: two_layer_net.py (SGD and Adam) and custom_function.py.

Each runs in a subprocess, as a user would run it, on cpu and on the OpenCL device; the printed
losses are parsed. The issue's requirement, the two-layer network's loss falling by more than
90% over its default 500 steps, is checked on one device at full length.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import clgrad

from helpers import DEVICES

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"on (\S+): loss (\S+) -> (\S+) in (\d+) steps")


def run_example(name: str, *args: str, tmp_path: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(Path(clgrad.__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout


def parse(stdout: str) -> tuple:
    """(device, first loss, final loss, steps, {step: loss} of the every-100-steps lines)."""
    match = SUMMARY.search(stdout)
    assert match, stdout
    periodic = {int(m.group(1)): float(m.group(2))
                for m in re.finditer(r"^(\d+) (\S+)$", stdout, re.MULTILINE)}
    return (match.group(1), float(match.group(2)), float(match.group(3)), int(match.group(4)),
            periodic)


@pytest.mark.parametrize("optim", ["sgd", "adam"])
def test_two_layer_net_short_run(device, optim, tmp_path):
    out = run_example("two_layer_net.py", "--device", device, "--optim", optim, "--steps", "12",
                      tmp_path=tmp_path)
    where, first, final, steps, _ = parse(out)
    assert out.splitlines()[-1].startswith(f"{optim} on {where}")
    assert where == str(clgrad.device(device)) and steps == 12
    assert math.isfinite(first) and first > 100  # random targets: the sum is far from zero
    assert final < first


def test_two_layer_net_same_losses_on_every_device(tmp_path):
    """Same seed, same data and initialisation: every device follows the same trajectory."""
    finals = [parse(run_example("two_layer_net.py", "--device", d, "--steps", "5",
                                tmp_path=tmp_path))[1:3] for d in DEVICES]
    for first, final in finals[1:]:
        assert first == pytest.approx(finals[0][0], rel=1e-5)
        assert final == pytest.approx(finals[0][1], rel=1e-3)


@pytest.mark.parametrize("optim", ["sgd", "adam"])
def test_two_layer_net_loss_falls_by_90_percent_in_500_steps(optim, tmp_path):
    device = next((d for d in DEVICES if d.startswith("cl")), DEVICES[0])
    out = run_example("two_layer_net.py", "--device", device, "--optim", optim,
                      tmp_path=tmp_path)
    _, first, final, steps, periodic = parse(out)
    assert steps == 500 and sorted(periodic) == [100, 200, 300, 400, 500]
    assert periodic[500] == pytest.approx(final, rel=1e-6)
    assert final < 0.1 * first, out
    losses = [periodic[k] for k in sorted(periodic)]
    assert all(b < a for a, b in zip(losses, losses[1:])), losses


def test_custom_function(device, tmp_path):
    out = run_example("custom_function.py", "--device", device, "--steps", "200",
                      tmp_path=tmp_path)
    assert "gradcheck of LegendrePolynomial3 on" in out and ": ok" in out
    where, first, final, steps, periodic = parse(out)
    assert steps == 200 and sorted(periodic) == [100, 200]
    # PyTorch's example from the same start: 461.9026 at step 0, 144.66 after 200
    assert first == pytest.approx(461.9026, rel=1e-4)
    assert final < periodic[100] < first
    assert re.search(r"^Result: y = \S+ \+ \S+ \* P3\(\S+ \+ \S+ x\)$", out, re.MULTILINE)


def test_custom_function_matches_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    device = next((d for d in DEVICES if d.startswith("cl")), DEVICES[0])
    steps = 100
    out = run_example("custom_function.py", "--device", device, "--steps", str(steps),
                      tmp_path=tmp_path)
    _, first, final, _, _ = parse(out)

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    params = [torch.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    a, b, c, d = params
    for t in range(steps):
        z = c + d * x
        loss = (a + b * (0.5 * (5 * z ** 3 - 3 * z)) - y).pow(2).sum()
        if t == 0:
            assert first == pytest.approx(loss.item(), rel=1e-5)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 5e-6 * p.grad
                p.grad = None
    assert final == pytest.approx(loss.item(), rel=1e-3)
