"""clgrad.profiler: recording, nesting, schedule, table and chrome trace (no timing checks)."""
import json

import pytest

import clgrad


def _names(prof):
    return {e.key: e for e in prof.key_averages()}


def test_records_ops_nested_in_record_function(device, tmp_path):
    from clgrad.profiler import profile, record_function, ProfilerActivity
    x = clgrad.ones(3, 3, device=device)
    original = clgrad.Tensor.__add__
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA],
                 record_shapes=True) as prof:
        with record_function("block"):
            y = (x + 1) @ x
            clgrad.nn.functional.relu(y).sum()
        clgrad.add(x, x)
    assert clgrad.Tensor.__add__ is original  # nothing stays wrapped after the profile
    ev = _names(prof)
    assert {"block", "aten::add", "aten::matmul", "aten::relu", "aten::sum"} <= set(ev)
    assert ev["aten::add"].count == 2 and ev["block"].count == 1
    blk = ev["block"]
    assert blk.cpu_time_total >= blk.self_cpu_time_total >= 0
    assert blk.cpu_time_total >= ev["aten::matmul"].cpu_time_total
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=2)
    lines = table.splitlines()
    assert "Self CPU %" in lines[1] and "# of Calls" in lines[1] and "CL total" in lines[1]
    # rule, header, rule, 2 rows, rule, two totals
    assert lines[3].split()[0] == "block" and len(lines) == 8
    assert lines[-1].startswith("Self CL time total:")
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())["traceEvents"]
    assert {"block", "aten::matmul"} <= {t["name"] for t in trace}
    assert all(t["ph"] == "X" and t["dur"] >= 0 for t in trace)
    shapes = [t["args"]["Input Dims"] for t in trace if t["name"] == "aten::matmul"]
    assert shapes == [[[3, 3], [3, 3]]]


def test_nothing_recorded_outside_and_decorator():
    from clgrad.profiler import profile, record_function
    calls = []

    @record_function("mine")
    def f(t):
        calls.append(1)
        return t * 2

    f(clgrad.ones(2))  # no profile: a plain call
    with profile(activities=[clgrad.profiler.ProfilerActivity.CPU]) as prof:
        f(clgrad.ones(2))
    ev = _names(prof)
    assert ev["mine"].count == 1 and ev["aten::mul"].count == 1 and len(calls) == 2
    assert "CL total" not in prof.key_averages().table()


def test_schedule_actions_and_trace_ready(tmp_path):
    from clgrad.profiler import ProfilerAction as A, profile, schedule, tensorboard_trace_handler
    s = schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    expected = [A.NONE, A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.NONE]
    assert [s(i) for i in range(7)] == expected
    seen = []
    handler = tensorboard_trace_handler(str(tmp_path), worker_name="w")

    def ready(p):
        # (zeros' own inner calls appear too, nested under it, as in PyTorch)
        seen.append(sorted((e.key, e.count) for e in p.key_averages()
                           if e.key in ("aten::exp", "aten::zeros")))
        handler(p)
    with profile(activities=[clgrad.profiler.ProfilerActivity.CPU],
                 schedule=schedule(wait=1, warmup=0, active=2), on_trace_ready=ready) as p:
        for step in range(6):
            clgrad.zeros(step + 1).exp()
            p.step()
    # cycles of 3 steps: steps 1-2 and 4-5 recorded, each handed on once
    assert seen == [[("aten::exp", 2), ("aten::zeros", 2)]] * 2
    files = list(tmp_path.glob("w.*.pt.trace.json"))
    assert len(files) >= 1 and json.loads(files[0].read_text())["traceEvents"]
    with pytest.raises(AssertionError):
        schedule(wait=0, warmup=0, active=0)


def test_activity_alias():
    from clgrad.profiler import ProfilerActivity
    assert ProfilerActivity.CL is ProfilerActivity.CUDA
    assert [a.name for a in ProfilerActivity][:4] == ["CPU", "XPU", "MTIA", "CUDA"]


def test_autograd_profiler_api():
    x = clgrad.ones(2, 2)
    with clgrad.autograd.profiler.profile() as prof:
        with clgrad.autograd.profiler.record_function("outer"):
            x.exp()
    assert {"outer", "aten::exp"} <= {e.key for e in prof.key_averages()}
    assert "aten::exp" in prof.table(sort_by="self_cpu_time_total")
    with clgrad.autograd.profiler.profile(enabled=False) as off:
        x.exp()
    assert list(off.key_averages()) == []
