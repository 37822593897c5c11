"""clgrad.distributed and DistributedDataParallel: scripts spawned with `mpiexec -n 2`, plus
the autograd hooks DDP relies on, in process."""
import os
import shutil
import subprocess
import sys
import time

import pytest

import clgrad

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distributed_scripts")


def _mpiexec():
    found = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep
                         + os.environ.get("PATH", ""))
    return found


def _need_mpi():
    pytest.importorskip("mpi4py", reason="clgrad.distributed needs mpi4py (the distributed "
                        "extra)")
    if _mpiexec() is None:
        pytest.skip("no mpiexec on PATH or beside the Python executable (pip install mpich)")


def _spawn(tmp_path, script, *args, timeout=240):
    """Run a script on 2 ranks; return (returncode, output) and check no rank outlived it."""
    _need_mpi()
    env = dict(os.environ, PID_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    proc = subprocess.run([_mpiexec(), "-n", "2", sys.executable,
                           os.path.join(SCRIPTS, script), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
    pids = [int(name[3:]) for name in os.listdir(tmp_path) if name.startswith("pid")]
    assert len(pids) == 2, proc.stdout + proc.stderr
    deadline = time.monotonic() + 10  # a killed rank may take a moment to be reaped
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        assert not _alive(pid), f"rank process {pid} was left behind"
    logs = "".join(open(os.path.join(tmp_path, name)).read()
                   for name in sorted(os.listdir(tmp_path)) if name.startswith("log"))
    return proc.returncode, logs + proc.stdout + proc.stderr


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _device_args():
    wanted = os.environ.get("CLGRAD_TEST_DEVICES")
    if wanted:
        return [d.strip() for d in wanted.split(",") if d.strip()]
    return ["cpu"] + (["cl:0"] if clgrad.cl.is_available() else [])


def test_every_collective_against_numpy(tmp_path):
    devices = _device_args()
    rc, out = _spawn(tmp_path, "collectives.py", *devices)
    assert rc == 0, out
    assert out.count("DONE") == 2, out
    for dev in devices:
        for name in ("all_reduce RedOpType.SUM", "all_reduce RedOpType.AVG",
                     "all_reduce RedOpType.MIN", "all_reduce RedOpType.MAX",
                     "all_reduce RedOpType.PRODUCT", "all_reduce async", "all_reduce int64",
                     "broadcast", "all_gather[1]", "all_gather_into_tensor",
                     "reduce_scatter_tensor", "scatter", "shape mismatch raises",
                     "dtype mismatch raises"):
            assert out.count(f"OK {dev} {name}\n") == 2, (dev, name, out)
        for name in ("reduce", "gather[1]", "send/recv"):
            assert out.count(f"OK {dev} {name}\n") == 1, (dev, name, out)
    assert out.count("OK before-init") == 2 and out.count("OK init-twice") == 2, out


def test_ddp_equals_one_process_with_the_whole_batch(tmp_path):
    devices = _device_args()
    rc, out = _spawn(tmp_path, "ddp.py", *devices)
    assert rc == 0, out
    for dev in devices:
        for opt in ("sgd", "adam"):
            for no_sync in (False, True):
                assert out.count(f"OK ddp {dev} {opt} no_sync={no_sync}") == 2, out
        assert out.count(f"OK ddp {dev} find_unused_parameters broadcast_buffers") == 2, out
        assert out.count(f"OK ddp {dev} unused parameter error") == 2, out
    assert out.count("OK ddp model mismatch") == 2, out


def test_collective_timeout_raises_and_ends_the_job(tmp_path):
    rc, out = _spawn(tmp_path, "failures.py", "timeout", timeout=60)
    assert rc != 0
    assert "RAISED" in out and "did not complete within the timeout" in out, out


def test_dead_rank_does_not_hang_the_others(tmp_path):
    rc, out = _spawn(tmp_path, "failures.py", "dead", timeout=60)
    assert rc != 0, out


def test_import_and_errors_without_a_process_group():
    dist = clgrad.distributed
    assert not dist.is_initialized()
    assert clgrad.nn.parallel.DistributedDataParallel is not None
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.all_reduce(clgrad.ones(2))
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>"
    assert int(dist.ReduceOp.AVG) == 1


@pytest.mark.parity
def test_reduce_op_matches_torch():
    torch = pytest.importorskip("torch")
    tdist = torch.distributed
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        ours, theirs = getattr(clgrad.distributed.ReduceOp, name), getattr(tdist.ReduceOp, name)
        assert int(ours) == int(theirs) and repr(ours) == repr(theirs)


def test_import_clgrad_works_without_mpi4py():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "import clgrad\n"
            "assert clgrad.nn.parallel.DistributedDataParallel\n"
            "try:\n"
            "    clgrad.distributed.init_process_group('mpi')\n"
            "except RuntimeError as exc:\n"
            "    assert 'mpi4py' in str(exc)\n"
            "    print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_data_parallel_is_transparent(device):
    nn = clgrad.nn
    inner = nn.Linear(3, 2).to(device)
    dp = nn.parallel.DataParallel(inner)
    assert dp.module is inner
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    x = clgrad.ones(4, 3, device=device)
    assert clgrad.equal(dp(x), inner(x))


def test_post_accumulate_grad_hook_and_final_callback(device):
    a = clgrad.ones(2, requires_grad=True, device=device)
    seen = []
    handle = a.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    queue = clgrad.autograd.engine.queue_callback

    def pre(grad):
        queue(lambda: seen.append(("final", a.grad.tolist())))

    b = a * 3
    b.register_hook(pre)
    b.sum().backward()
    assert seen == [[3.0, 3.0], ("final", [3.0, 3.0])]
    (a * 2).sum().backward()
    assert seen[-1] == [5.0, 5.0]
    handle.remove()
    (a * 2).sum().backward()
    assert len(seen) == 3
    clgrad.autograd.grad((a * 2).sum(), a)  # autograd.grad accumulates nothing: no hook
    assert len(seen) == 3
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during"):
        queue(lambda: None)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (a * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        clgrad.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    hook_value = a.register_post_accumulate_grad_hook(lambda t: 5)
    with pytest.raises(TypeError):
        (a * 2).sum().backward()
    hook_value.remove()


@pytest.mark.parity
def test_post_accumulate_grad_hook_matches_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, clgrad):
        a = lib.ones(2, requires_grad=True)
        order = []
        a.register_post_accumulate_grad_hook(lambda t: order.append(list(t.grad.tolist())))
        (a * a).sum().backward()
        (a * 3).sum().backward()
        if lib is torch:
            want = order
    assert order == want


def test_launcher_sets_torchrun_environment(tmp_path):
    _need_mpi()
    env = dict(os.environ, PID_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "clgrad.distributed.run", "-n", "2",
                           os.path.join(SCRIPTS, "launched.py"), "a", "--b"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    logs = "".join(open(os.path.join(tmp_path, n)).read() for n in os.listdir(tmp_path)
                   if n.startswith("log"))
    for rank in (0, 1):
        assert f"OK launched rank {rank} args ['a', '--b']" in logs, logs
    pids = [int(n[3:]) for n in os.listdir(tmp_path) if n.startswith("pid")]
    assert len(pids) == 2 and not any(_alive(p) for p in pids)


def test_ddp_digits_example_smoke(tmp_path):
    _need_mpi()
    example = os.path.join(os.path.dirname(SCRIPTS), "..", "examples", "ddp_digits.py")
    proc = subprocess.run([sys.executable, "-m", "clgrad.distributed.run", "-n", "2", example,
                           "--device", "cpu", "--smoke"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("final test accuracy") == 1, proc.stdout


def test_objects_all_to_all_reduce_scatter_p2p_and_group_queries(tmp_path):
    devices = _device_args()
    rc, out = _spawn(tmp_path, "more_collectives.py", *devices)
    assert rc == 0, out
    assert out.count("DONE") == 2, out
    both = ["group queries", "get_group_rank outsider", "get_global_rank outsider",
            "P2POp bad op", "P2POp no peer", "all_gather_object", "broadcast_object_list",
            "scatter_object_list", "scatter_object_list empty output", "monitored_barrier"]
    for name in both:
        assert out.count(f"OK {name}\n") == 2, (name, out)
    for name in ("gather_object", "send_object_list to self", "send/recv_object_list",
                 "send_object_list no dst", "recv_object_list both src"):
        assert out.count(f"OK {name}\n") == 1, (name, out)
    for dev in devices:
        for name in ("all_to_all_single", "all_to_all_single splits",
                     "all_to_all_single bad splits", "all_to_all[0]", "all_to_all[1]",
                     "reduce_scatter", "reduce_scatter max", "reduce_scatter wrong count",
                     "batch_isend_irecv", "all_gather_object tensor[0]",
                     "all_gather_object tensor[1]"):
            assert out.count(f"OK {dev} {name}\n") == 2, (dev, name, out)


def test_backend_names_and_availability():
    dist = clgrad.distributed
    assert dist.Backend("MPI") is dist.Backend.MPI and dist.Backend.MPI == "mpi"
    assert dist.Backend("Custom") == "custom"
    with pytest.raises(ValueError, match="string-ish"):
        dist.Backend(3)
    for name in ("nccl", "gloo", "ucc", "xccl"):
        assert getattr(dist, f"is_{name}_available")() is False
        assert not dist.is_backend_available(name)
    assert dist.is_backend_available("MPI") == dist.is_mpi_available()
    assert dist.get_default_backend_for_device("cpu") == "mpi"
    assert dist.get_default_backend_for_device(clgrad.device("cl:0")) == "mpi"
    with pytest.raises(RuntimeError, match="Expected one of"):
        dist.get_default_backend_for_device("xyz")
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_process_group_ranks(None)


def test_node_local_rank(monkeypatch):
    dist = clgrad.distributed
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    assert dist.get_node_local_rank(fallback_rank=3) == 3
    with pytest.raises(RuntimeError, match="LOCAL_RANK is not in the environment"):
        dist.get_node_local_rank()
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert dist.get_node_local_rank(fallback_rank=3) == 1


@pytest.mark.parity
def test_backend_class_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = clgrad.distributed.Backend, torch.distributed.Backend
    for name in ("UNDEFINED", "GLOO", "NCCL", "UCC", "MPI", "XCCL"):
        assert getattr(ours, name) == getattr(theirs, name)
    for given in ("gloo", "NCCL", "Mpi", "other"):
        assert ours(given) == theirs(given) and isinstance(ours(given), str)
    assert set(ours.backend_list) <= set(theirs.backend_list)
