"""Cold start (issue 12 item 4): the kernel cache's thread safety, several kernels built as one
program (programs.build_many), the warm-up's discovery of what to build, and
clgrad.cl.warmup(async_=True) running beside the main thread."""
import threading

import numpy as np
import pytest

import clgrad
from clgrad.backends import backend_for
from clgrad.backends.cl import programs
from clgrad.backends.cl.programs import BuildStats, Deferred, build_many, collecting


@pytest.fixture
def rt(cl_device):
    return backend_for(clgrad.empty(1, device=cl_device).device).rt


def _missing(op) -> list:
    """The kernels `op` lacks (none built: collecting stops it at the first)."""
    with collecting() as missing:
        op()
    return missing


def test_build_many_puts_several_kernels_in_one_program(cl_device, rt):
    # Collect the kernels of ops never run before in this process (odd dtype combinations),
    # then build them together: one program, and the ops give numpy's results.
    a = clgrad.ones(5, dtype=clgrad.int16, device=cl_device)
    u = clgrad.ones(5, dtype=clgrad.uint8, device=cl_device)
    ops = [lambda: a * 3, lambda: a.neg(), lambda: u + 7]
    found = [request for op in ops for request in _missing(op)]
    fresh = [(key, params) for key, params in found if key not in rt.kernels]
    if len(fresh) < 2:
        pytest.skip("these kernels were built by an earlier test in this process")
    before = BuildStats.programs
    assert build_many(rt, found) == 1
    assert BuildStats.programs == before + 1
    assert BuildStats.history[-1][2] == len({key for key, _ in fresh})
    with collecting() as missing:  # now cached: nothing missing, the ops run for real
        results = [op().cpu().numpy() for op in ops]
    assert missing == []
    np.testing.assert_array_equal(results[0], np.full(5, 3, np.int16))
    np.testing.assert_array_equal(results[1], np.full(5, -1, np.int16))
    np.testing.assert_array_equal(results[2], np.full(5, 8, np.uint8))


def test_collecting_stops_an_op_at_its_first_missing_kernel(cl_device, rt):
    x = clgrad.ones(4, dtype=clgrad.int8, device=cl_device)
    reached = False
    with collecting() as missing:
        x.bitwise_not()
        reached = True  # not reached when a kernel is missing: collecting stops the op there
    if not missing:  # the whole op ran, as it must when everything is built
        assert reached
        pytest.skip("int8 bitwise_not was built by an earlier test")
    assert not reached, "the op went past a missing kernel"
    (key, params), = missing
    assert key not in rt.kernels  # recorded, not built
    caught = []
    with collecting() as again:
        try:
            x.bitwise_not()
        except Exception as exc:  # an op's broad fallback must not swallow the stop
            caught.append(exc)
    assert caught == [] and [k for k, _ in again] == [key]
    assert issubclass(Deferred, BaseException) and not issubclass(Deferred, Exception)
    np.testing.assert_array_equal(x.bitwise_not().cpu().numpy(), np.full(4, -2, np.int8))


def test_a_kernel_is_built_once_when_threads_race_for_it(cl_device, rt, monkeypatch):
    x = clgrad.ones(6, dtype=clgrad.int16, device=cl_device)
    x.bitwise_or(x)  # its fill and copy kernels, so that the race is over one kernel
    if not _missing(lambda: x.bitwise_and(x)):
        pytest.skip("int16 bitwise_and was built by an earlier test")
    calls = []
    gate = threading.Event()
    real = programs._make_kernel

    def slow_make(rt_, full_key, params):
        calls.append(full_key)
        gate.wait(10)  # hold the build until every thread has asked for the kernel
        return real(rt_, full_key, params)
    monkeypatch.setattr(programs, "_make_kernel", slow_make)
    results, errors = [], []

    def ask():
        try:
            results.append(x.bitwise_and(x).cpu().numpy())
        except Exception as exc:  # reported below
            errors.append(exc)
    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(500):
        if calls:
            break
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)  # the other threads wait for the in-flight build by now
    gate.set()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(calls) == 1  # one build for four threads
    assert len(results) == 4
    for r in results:
        np.testing.assert_array_equal(r, np.ones(6, np.int16))
    assert not programs._inflight


def test_a_failed_build_is_retried_by_the_next_request(cl_device, rt, monkeypatch):
    x = clgrad.ones(4, dtype=clgrad.int16, device=cl_device)
    x.bitwise_or(x)
    if not _missing(lambda: x.bitwise_xor(x)):
        pytest.skip("int16 bitwise_xor was built by an earlier test")
    real = programs._make_kernel
    attempts = []

    def flaky(rt_, full_key, params):
        attempts.append(full_key)
        if len(attempts) == 1:
            raise RuntimeError("first build fails")
        return real(rt_, full_key, params)
    monkeypatch.setattr(programs, "_make_kernel", flaky)
    with pytest.raises(RuntimeError, match="first build fails"):
        x.bitwise_xor(x)
    assert not programs._inflight  # the failure released its claim
    np.testing.assert_array_equal(x.bitwise_xor(x).cpu().numpy(), np.zeros(4, np.int16))
    assert len(attempts) == 2


def test_async_warmup_leaves_the_main_thread_results_and_random_stream_alone(cl_device):
    clgrad.manual_seed(123)
    expected = clgrad.rand(5, device=cl_device).cpu().numpy()
    clgrad.manual_seed(123)
    handle = clgrad.cl.warmup(cl_device, async_=True)
    got = clgrad.rand(5, device=cl_device).cpu().numpy()  # may wait for the warm-up's build
    x = clgrad.arange(6.0, device=cl_device).reshape(2, 3)
    y = (x * 2 + 1).relu().sum(1)
    stats = handle.wait(300)
    assert handle.done() and stats is not None
    assert stats["programs"] >= 0 and isinstance(stats["skipped"], list)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(y.cpu().numpy(), [9.0, 27.0])
    assert not programs._inflight


def test_default_warmup_builds_the_training_step_kernels(cl_device, rt):
    seen = []
    stats = clgrad.cl.warmup(cl_device, progress=lambda d, t, label: seen.append((d, t, label)))
    assert seen[-1][0] == seen[-1][1] and seen[-1][2] is None
    # After it, a small CNN training step builds nothing more.
    import clgrad.nn.functional as F
    before = BuildStats.programs
    x = clgrad.full((4, 1, 12, 12), 0.5, device=cl_device)
    w = clgrad.full((4, 1, 3, 3), 0.5, device=cl_device, requires_grad=True)
    b = clgrad.zeros(4, device=cl_device, requires_grad=True)
    h = F.max_pool2d(F.relu(F.conv2d(x, w, b)), 2).flatten(1)
    lw = clgrad.full((10, 100), 0.01, device=cl_device, requires_grad=True)
    loss = F.cross_entropy(F.linear(h, lw), clgrad.arange(4, device=cl_device))
    loss.backward()
    opt = clgrad.optim.Adam([w, b, lw])
    opt.step()
    clgrad.cl.synchronize()
    assert BuildStats.programs == before, BuildStats.history[before:]
    assert stats["programs"] >= 0


def test_a_dry_run_builds_a_chain_of_new_kernels_together(cl_device):
    a = clgrad.arange(6, dtype=clgrad.int16, device=cl_device)

    def chain():
        return ((a * 5 - 2).clamp(0, 9) + a).abs()
    expected = np.abs(np.clip(np.arange(6, dtype=np.int16) * 5 - 2, 0, 9)
                      + np.arange(6, dtype=np.int16))
    missing = _missing(chain)
    if not missing:
        pytest.skip("these int16 kernels were built by an earlier test")
    ran = []
    before = BuildStats.programs
    stats = clgrad.cl.warmup(cl_device, ops=[("chain", lambda: ran.append(chain()))],
                             dry_run=True, progress=lambda *args: None)
    new = BuildStats.history[before:]
    # the whole chain in one program, and no other (stand-ins launch nothing, built for none)
    assert len(new) == 1 and new[0][2] >= 2
    assert stats["programs"] == len(new)
    assert len(ran) == 2  # the dry run, then the real one
    np.testing.assert_array_equal(ran[-1].cpu().numpy(), expected)
    np.testing.assert_array_equal(chain().cpu().numpy(), expected)
    assert _missing(chain) == [] and not programs._inflight
