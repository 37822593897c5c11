"""What `import clgrad` binds (issue 9 item 1, API.md §10): every `torch.X.Y` chain of API.md
and of PyTorch's documented top-level modules (renamed torch -> clgrad, cuda -> cl), resolved
in a fresh interpreter after `import clgrad` alone (vision chains after `import clgrad.vision`,
as renamed torchvision programs import it).

Chains are resolved with getattr only, which imports nothing, so resolving many chains in one
interpreter gives each the answer a fresh interpreter would: the chains are batched into one
subprocess per import line, and each chain is still its own test case.

A chain whose module is not built yet is xfail(strict=True) with the reason, so the list stays
honest: the case starts failing (XPASS) the moment the module lands, and then loses its mark
(python tools/refresh_namespace_marks.py drops the marks of every chain that resolves).
"""
import json
import subprocess
import sys

import pytest

# Why a chain does not resolve yet (each a module still being built).

# (chain, None) must resolve; (chain, reason) does not resolve yet, for that reason.
CHAINS = [
    ('clgrad.Tensor', None),
    ('clgrad.Size', None),
    ('clgrad.device', None),
    ('clgrad.dtype', None),
    ('clgrad.float32', None),
    ('clgrad.bfloat16', None),
    ('clgrad.inf', None),
    ('clgrad.nan', None),
    ('clgrad.pi', None),
    ('clgrad.e', None),
    ('clgrad.save', None),
    ('clgrad.load', None),
    ('clgrad.compile', None),
    ('clgrad.autocast', None),
    ('clgrad.no_grad', None),
    ('clgrad.manual_seed', None),
    ('clgrad.Generator', None),
    ('clgrad.FloatTensor', None),
    ('clgrad.DoubleTensor', None),
    ('clgrad.HalfTensor', None),
    ('clgrad.LongTensor', None),
    ('clgrad.IntTensor', None),
    ('clgrad.ShortTensor', None),
    ('clgrad.CharTensor', None),
    ('clgrad.ByteTensor', None),
    ('clgrad.BoolTensor', None),
    ('clgrad.channels_last', None),
    ('clgrad.memory_format', None),
    ('clgrad.nn', None),
    ('clgrad.nn.Module', None),
    ('clgrad.nn.Linear', None),
    ('clgrad.nn.Conv2d', None),
    ('clgrad.nn.Parameter', None),
    ('clgrad.nn.Sequential', None),
    ('clgrad.nn.CrossEntropyLoss', None),
    ('clgrad.nn.Transformer', None),
    ('clgrad.nn.LSTMCell', None),
    ('clgrad.nn.DataParallel', None),
    ('clgrad.nn.functional', None),
    ('clgrad.nn.functional.relu', None),
    ('clgrad.nn.functional.cross_entropy', None),
    ('clgrad.nn.functional.scaled_dot_product_attention', None),
    ('clgrad.nn.init', None),
    ('clgrad.nn.init.kaiming_uniform_', None),
    ('clgrad.nn.utils', None),
    ('clgrad.nn.utils.clip_grad_norm_', None),
    ('clgrad.nn.utils.rnn', None),
    ('clgrad.nn.utils.rnn.pad_sequence', None),
    ('clgrad.nn.utils.rnn.pack_padded_sequence', None),
    ('clgrad.nn.utils.rnn.pad_packed_sequence', None),
    ('clgrad.nn.utils.rnn.PackedSequence', None),
    ('clgrad.nn.parallel', None),
    ('clgrad.nn.parallel.DistributedDataParallel', None),
    ('clgrad.optim', None),
    ('clgrad.optim.SGD', None),
    ('clgrad.optim.Adam', None),
    ('clgrad.optim.AdamW', None),
    ('clgrad.optim.LBFGS', None),
    ('clgrad.optim.Rprop', None),
    ('clgrad.optim.ASGD', None),
    ('clgrad.optim.Optimizer', None),
    ('clgrad.optim.lr_scheduler', None),
    ('clgrad.optim.lr_scheduler.StepLR', None),
    ('clgrad.optim.lr_scheduler.OneCycleLR', None),
    ('clgrad.optim.swa_utils', None),
    ('clgrad.optim.swa_utils.AveragedModel', None),
    ('clgrad.optim.swa_utils.SWALR', None),
    ('clgrad.utils', None),
    ('clgrad.utils.data', None),
    ('clgrad.utils.data.DataLoader', None),
    ('clgrad.utils.data.Dataset', None),
    ('clgrad.utils.data.TensorDataset', None),
    ('clgrad.utils.data.random_split', None),
    ('clgrad.utils.data.DistributedSampler', None),
    ('clgrad.autograd', None),
    ('clgrad.autograd.Variable', None),
    ('clgrad.autograd.Function', None),
    ('clgrad.autograd.backward', None),
    ('clgrad.autograd.grad', None),
    ('clgrad.autograd.gradcheck', None),
    ('clgrad.autograd.gradgradcheck', None),
    ('clgrad.autograd.functional', None),
    ('clgrad.autograd.functional.jacobian', None),
    ('clgrad.autograd.functional.hessian', None),
    ('clgrad.autograd.detect_anomaly', None),
    ('clgrad.linalg', None),
    ('clgrad.linalg.norm', None),
    ('clgrad.linalg.inv', None),
    ('clgrad.linalg.solve', None),
    ('clgrad.linalg.svd', None),
    ('clgrad.special', None),
    ('clgrad.special.expit', None),
    ('clgrad.special.logit', None),
    ('clgrad.special.erf', None),
    ('clgrad.special.erfinv', None),
    ('clgrad.special.logsumexp', None),
    ('clgrad.special.xlogy', None),
    ('clgrad.special.i0', None),
    ('clgrad.special.digamma', None),
    ('clgrad.special.gammaln', None),
    ('clgrad.special.softmax', None),
    ('clgrad.distributions', None),
    ('clgrad.distributions.Normal', None),
    ('clgrad.distributions.Bernoulli', None),
    ('clgrad.distributions.Categorical', None),
    ('clgrad.distributions.Uniform', None),
    ('clgrad.distributions.Beta', None),
    ('clgrad.distributions.Gamma', None),
    ('clgrad.distributions.MultivariateNormal', None),
    ('clgrad.distributions.OneHotCategorical', None),
    ('clgrad.distributions.Independent', None),
    ('clgrad.distributions.kl_divergence', None),
    ('clgrad.distributions.Distribution', None),
    ('clgrad.distributions.Exponential', None),
    ('clgrad.distributions.Laplace', None),
    ('clgrad.distributions.Chi2', None),
    ('clgrad.distributions.Dirichlet', None),
    ('clgrad.distributions.Poisson', None),
    ('clgrad.distributions.Binomial', None),
    ('clgrad.distributions.Geometric', None),
    ('clgrad.distributions.StudentT', None),
    ('clgrad.distributions.Cauchy', None),
    ('clgrad.distributions.LogNormal', None),
    ('clgrad.distributions.HalfNormal', None),
    ('clgrad.distributions.Gumbel', None),
    ('clgrad.distributions.LowRankMultivariateNormal', None),
    ('clgrad.distributions.ExponentialFamily', None),
    ('clgrad.distributions.TransformedDistribution', None),
    ('clgrad.distributions.constraints', None),
    ('clgrad.distributions.transforms', None),
    ('clgrad.distributions.register_kl', None),
    ('clgrad.testing', None),
    ('clgrad.testing.assert_close', None),
    ('clgrad.multiprocessing', None),
    ('clgrad.multiprocessing.Process', None),
    ('clgrad.multiprocessing.set_start_method', None),
    ('clgrad.amp', None),
    ('clgrad.amp.autocast', None),
    ('clgrad.amp.GradScaler', None),
    ('clgrad.backends', None),
    ('clgrad.backends.cudnn', None),
    ('clgrad.backends.cudnn.benchmark', None),
    ('clgrad.backends.cudnn.deterministic', None),
    ('clgrad.backends.cudnn.enabled', None),
    ('clgrad.backends.cudnn.is_available', None),
    ('clgrad.backends.mps', None),
    ('clgrad.backends.mps.is_available', None),
    ('clgrad.backends.mps.is_built', None),
    ('clgrad.backends.opencl', None),
    ('clgrad.backends.opencl.is_available', None),
    ('clgrad.accelerator', None),
    ('clgrad.accelerator.is_available', None),
    ('clgrad.accelerator.current_accelerator', None),
    ('clgrad.accelerator.device_count', None),
    ('clgrad.accelerator.current_device_index', None),
    ('clgrad.accelerator.set_device_index', None),
    ('clgrad.accelerator.synchronize', None),
    ('clgrad.onnx', None),
    ('clgrad.onnx.export', None),
    ('clgrad.onnx.is_in_onnx_export', None),
    ('clgrad.distributed', None),
    ('clgrad.distributed.init_process_group', None),
    ('clgrad.distributed.all_reduce', None),
    ('clgrad.distributed.ReduceOp', None),
    ('clgrad.distributed.is_available', None),
    ('clgrad.func', None),
    ('clgrad.func.functional_call', None),
    ('clgrad.func.grad', None),
    ('clgrad.func.vjp', None),
    ('clgrad.func.jvp', None),
    ('clgrad.func.jacrev', None),
    ('clgrad.func.jacfwd', None),
    ('clgrad.func.hessian', None),
    ('clgrad.func.vmap', None),
    ('clgrad.vmap', None),
    ('clgrad.profiler', None),
    ('clgrad.profiler.profile', None),
    ('clgrad.profiler.record_function', None),
    ('clgrad.profiler.ProfilerActivity', None),
    ('clgrad.profiler.schedule', None),
    ('clgrad.serialization', None),
    ('clgrad.serialization.add_safe_globals', None),
    ('clgrad.serialization.safe_globals', None),
    ('clgrad.serialization.get_safe_globals', None),
    ('clgrad.cl', None),
    ('clgrad.cl.is_available', None),
    ('clgrad.cl.device_count', None),
    ('clgrad.cl.synchronize', None),
    ('clgrad.cl.manual_seed', None),
    ('clgrad.cl.FloatTensor', None),
    ('clgrad.cl.LongTensor', None),
    ('clgrad.cl.CLGraph', None),
    ('clgrad.cl.OutOfMemoryError', None),
    ('clgrad.cl.graph', None),
    ('clgrad.cl.graph_pool_handle', None),
    ('clgrad.cl.make_graphed_callables', None),
    ('clgrad.cuda', None),
    ('clgrad.cuda.is_available', None),
    ('clgrad.cuda.device_count', None),
    ('clgrad.cuda.synchronize', None),
    ('clgrad.cuda.manual_seed_all', None),
    ('clgrad.cuda.FloatTensor', None),
    ('clgrad.vision', None),
    ('clgrad.vision.datasets', None),
    ('clgrad.vision.datasets.MNIST', None),
    ('clgrad.vision.transforms', None),
    ('clgrad.vision.transforms.Compose', None),
    ('clgrad.vision.utils', None),
    ('clgrad.vision.utils.make_grid', None),
    ('clgrad.vision.models', None),
    ('clgrad.vision.models.resnet18', None),
    ('clgrad.vision.io', None),
    ('clgrad.vision.io.read_image', None),
]

_RESOLVE = """
import functools, json, sys
{imports}
bad = {{}}
for chain in sys.argv[1:]:
    try:
        functools.reduce(getattr, chain.split(".")[1:], clgrad)
    except AttributeError as exc:
        bad[chain] = str(exc)
print(json.dumps(bad))
"""


def _import_line(chain: str) -> str:
    return "import clgrad, clgrad.vision" if chain.startswith("clgrad.vision") else \
        "import clgrad"


@pytest.fixture(scope="module")
def unresolved() -> dict:
    """{chain: AttributeError text} for every chain that does not resolve."""
    groups: dict = {}
    for chain, _ in CHAINS:
        groups.setdefault(_import_line(chain), []).append(chain)
    bad: dict = {}
    for imports, chains in groups.items():
        proc = subprocess.run([sys.executable, "-c", _RESOLVE.format(imports=imports), *chains],
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        bad.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    return bad


def _params():
    for chain, reason in CHAINS:
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(chain, marks=marks, id=chain)


@pytest.mark.parametrize("chain", list(_params()))
def test_chain_resolves_after_import_clgrad(chain, unresolved):
    assert chain not in unresolved, unresolved.get(chain)


def test_chain_list_has_no_duplicates():
    names = [c for c, _ in CHAINS]
    assert len(names) == len(set(names))


def test_import_clgrad_cuda_is_cl():
    code = ("import clgrad.cuda, clgrad\n"
            "import clgrad.cuda as c\n"
            "assert c is clgrad.cl and clgrad.cuda is clgrad.cl\n"
            "from clgrad.cuda import is_available\n"
            "print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_import_clgrad_alone_binds_nn():
    # the worst case: nn.Linear after `import clgrad` alone
    code = "import clgrad\nm = clgrad.nn.Linear(2, 3)\nprint(tuple(m.weight.shape))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.stdout.strip() == "(3, 2)", proc.stderr[-2000:]


def test_torch_documented_modules_are_listed():
    """Every submodule `import torch` binds that §10 names is in CHAINS."""
    names = {c for c, _ in CHAINS}
    for module in ("nn", "nn.functional", "nn.init", "nn.utils", "nn.parallel", "optim",
                   "optim.lr_scheduler", "optim.swa_utils", "utils.data", "autograd",
                   "linalg", "special", "distributions", "testing", "multiprocessing", "amp",
                   "backends", "backends.cudnn", "backends.mps", "backends.opencl",
                   "accelerator", "onnx", "distributed", "cl", "cuda", "func", "profiler"):
        assert f"clgrad.{module}" in names, module


def test_utils_benchmark_and_tensorboard_need_their_own_import_as_in_torch():
    # `import torch` binds neither torch.utils.benchmark nor torch.utils.tensorboard.
    code = ("import clgrad, sys; assert not hasattr(clgrad.utils, 'benchmark'); "
            "import clgrad.utils.benchmark; clgrad.utils.benchmark.Timer")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
