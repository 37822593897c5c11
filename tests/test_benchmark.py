"""clgrad.utils.benchmark: Timer, Measurement and Compare (no assertions on durations)."""
import clgrad


def test_timeit_counts_runs_and_namespaces(device):
    from clgrad.utils import benchmark
    x = clgrad.ones(8, device=device)
    calls = []
    t = benchmark.Timer("calls.append(1); y = x + k", setup="k = 2",
                        globals={"x": x, "calls": calls}, label="add", sub_label="ones",
                        description=str(device))
    m = t.timeit(number=7)
    assert m.number_per_run == 7 and len(m.raw_times) == 1
    assert len(calls) == 7 + 2  # timed runs + warm-up runs
    assert m.times == [m.raw_times[0] / 7] and m.mean == m.median == m.times[0]
    text = repr(m)
    assert "add: ones" in text and "setup: k = 2" in text and "1 measurement, 7 runs" in text
    assert m.task_spec.stmt.startswith("calls.append")


def test_blocked_and_adaptive_autorange(device):
    from clgrad.utils import benchmark
    x = clgrad.arange(4.0, device=device)
    t = benchmark.Timer("(x * 2).sum()", globals={"x": x})
    seen = []
    m = t.blocked_autorange(callback=lambda n, s: seen.append(n), min_run_time=0.01)
    assert len(seen) == len(m.raw_times) >= 1 and set(seen) == {m.number_per_run}
    assert sum(m.raw_times) >= 0.01
    assert min(m.times) <= m.median <= max(m.times)
    a = t.adaptive_autorange(min_run_time=0.001, max_run_time=0.5)
    assert len(a.times) >= 1 and a.iqr >= 0
    assert repr(a).splitlines()[1] == "(x * 2).sum()"


def test_measurement_statistics_and_compare():
    from clgrad.utils.benchmark import Measurement, Compare
    from clgrad.utils.benchmark.common import TaskSpec
    spec = TaskSpec("f()", "pass", label="L", sub_label="row", description="col")
    m = Measurement(2, [2e-6, 4e-6, 6e-6, 8e-6, 10e-6], spec)
    assert m.times == [1e-6, 2e-6, 3e-6, 4e-6, 5e-6]
    assert abs(m.median - 3e-6) < 1e-15 and abs(m.iqr - 2e-6) < 1e-15
    assert "Median: 3.00 us" in repr(m) and "5 measurements, 2 runs per measurement" in repr(m)
    table = str(Compare([m]))
    assert "L" in table and "row" in table and "col" in table and "3.0" in table
    assert "microseconds (us)" in table
    merged = Measurement.merge([m, Measurement(2, [2e-6], spec)])
    assert len(merged) == 1 and len(merged[0].times) == 6


def test_bound_like_torch():
    import importlib
    mod = importlib.import_module("clgrad.utils.benchmark")
    assert clgrad.utils.benchmark is mod


# --- the benchmark scripts (benchmarks/bench_*.py): command line and driver header ---------

def _benchmark_scripts():
    from pathlib import Path
    return sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("bench_*.py"))


def _run_script(path, argv, monkeypatch):
    import runpy
    import sys
    monkeypatch.setenv("CLGRAD_BENCH_HEADER_ONLY", "1")  # parse_args exits after the header
    monkeypatch.syspath_prepend(str(path.parent))
    monkeypatch.setattr(sys, "argv", [str(path), *argv])
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as stop:
        return stop.code
    return "ran to the end"


def test_every_benchmark_takes_torch_device_and_prints_its_driver(monkeypatch, capsys):
    scripts = _benchmark_scripts()
    assert len(scripts) >= 10
    for path in scripts:
        # Without parse_args the header-only run below would run the whole benchmark.
        assert "parse_args(" in path.read_text(), f"{path.name} does not use _common.parse_args"
    for path in scripts:
        code = _run_script(path, ["--torch-device", "cpu"], monkeypatch)
        out = capsys.readouterr().out.splitlines()
        assert code in (0, None), (path.name, code)
        assert out and out[0].startswith("OpenCL"), (path.name, out[:2])
        assert "torch" in out[0], (path.name, out[0])
        if clgrad.cl.is_available():
            from clgrad.backends.cl.runtime import enumerate_devices
            platform, dev = enumerate_devices()[clgrad.cl.current_device()]
            assert platform.version.strip() in out[0]  # PoCL's version is in it
            assert dev.driver_version.strip() in out[0]
    # argparse rejects an unknown PyTorch device (exit status 2, a usage message)
    assert _run_script(scripts[0], ["--torch-device", "tpu"], monkeypatch) == 2
    assert "--torch-device" in capsys.readouterr().err


def test_torch_device_cuda_without_cuda_exits_with_a_message(monkeypatch, capsys):
    import pytest
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    path = next(p for p in _benchmark_scripts() if p.name == "bench_reduce.py")
    code = _run_script(path, ["--torch-device", "cuda"], monkeypatch)
    assert isinstance(code, str) and "no CUDA device" in code and "--torch-device cuda" in code
