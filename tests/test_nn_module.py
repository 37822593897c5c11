"""nn.Module API: registration, iteration, state_dict, hooks, device moves, repr."""
from collections import OrderedDict

import numpy as np
import pytest

import clgrad
import clgrad.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.register_buffer("steps", clgrad.zeros(1))
        self.register_buffer("scratch", clgrad.ones(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def test_registration_rules():
    m = Net()
    assert list(m._parameters) == []
    assert list(m._modules) == ["fc1", "act", "fc2"]
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    assert m.fc2.bias is None and "bias" in m.fc2._parameters
    m.extra = nn.Parameter(clgrad.ones(2))
    assert "extra" in m._parameters
    with pytest.raises(TypeError, match="cannot assign 'clgrad.FloatTensor' as parameter "
                                        "'extra'"):
        m.extra = clgrad.ones(2)
    m.extra = None
    assert m._parameters["extra"] is None
    del m.extra
    assert "extra" not in m._parameters
    with pytest.raises(TypeError, match="as child module 'act'"):
        m.act = 3
    m.steps = clgrad.ones(1)  # a tensor assigned to a buffer name stays a buffer
    assert m._buffers["steps"].tolist() == [1.0]
    m.buf2 = nn.Buffer(clgrad.zeros(3), persistent=False)
    assert "buf2" in m._buffers and "buf2" in m._non_persistent_buffers_set
    with pytest.raises(KeyError, match="attribute 'fc1' already exists"):
        m.register_buffer("fc1", clgrad.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor"):
        m.register_parameter("p", _non_leaf_param())


def _non_leaf_param():
    p = nn.Parameter(clgrad.ones(2))
    p._grad_fn = (p * 2).grad_fn
    return p


def test_assign_before_init():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(clgrad.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before "
                                             "Module.__init__\\(\\) call"):
        Bad()


def test_iteration_prefix_recurse_duplicates():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in seq.named_modules(prefix="top")] == ["top", "top.0", "top.1"]
    assert list(seq.named_parameters(recurse=False)) == []
    assert [n for n, _ in seq.named_parameters(prefix="m")] == ["m.0.weight", "m.0.bias"]
    assert [n for n, _ in seq.named_children()] == ["0", "1"]
    assert seq.get_submodule("0") is shared
    assert seq.get_parameter("0.weight") is shared.weight
    with pytest.raises(AttributeError, match="`1` is not an nn.Module|has no attribute"):
        seq.get_parameter("1.weight")


def test_state_dict_round_trip_and_errors():
    clgrad.manual_seed(0)
    a, b = Net(), Net()
    sd = a.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert not sd["fc1.weight"].requires_grad
    assert a.state_dict(keep_vars=True)["fc1.weight"] is a.fc1.weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert np.array_equal(b.fc1.weight.detach().numpy(), a.fc1.weight.detach().numpy())
    bad = OrderedDict(sd)
    del bad["fc1.bias"]
    bad["fc3.weight"] = clgrad.zeros(1)
    with pytest.raises(RuntimeError) as info:
        b.load_state_dict(bad)
    assert str(info.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in '
                               'state_dict: "fc1.bias". \n\tUnexpected key(s) in state_dict: '
                               '"fc3.weight". ')
    result = b.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["fc3.weight"]
    wrong = OrderedDict(sd)
    wrong["fc1.bias"] = clgrad.zeros(5)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.bias: copying a param with "
                                           "shape clgrad.Size\\(\\[5\\]\\) from checkpoint, the "
                                           "shape in current model is clgrad.Size\\(\\[4\\]\\)"):
        b.load_state_dict(wrong)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        b.load_state_dict([1, 2])


def test_state_dict_matches_torch_keys():
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    cm = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    assert list(tm.state_dict()) == list(cm.state_dict())
    cm.load_state_dict({k: clgrad.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(cm(clgrad.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    r = cm.load_state_dict({}, strict=False)
    tr = tm.load_state_dict({}, strict=False)
    assert r.missing_keys == tr.missing_keys == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_requires_grad_zero_grad():
    m = Net()
    assert m.training and m.fc1.training
    m.eval()
    assert not m.training and not m.fc1.training
    m.train()
    assert m.fc2.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    m(clgrad.ones(2, 3)).sum().backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.fc1.weight.grad.abs().sum().item() == 0
    m.zero_grad()
    assert m.fc1.weight.grad is None


def test_to_moves_parameters_in_place(device):
    m = Net()
    weight = m.fc1.weight
    m(clgrad.ones(2, 3)).sum().backward()
    out = m.to(device)
    assert out is m and m.fc1.weight is weight
    assert weight.device == clgrad.device(device)
    assert weight.grad.device == clgrad.device(device)
    assert m.steps.device == clgrad.device(device)
    m.double()
    assert weight.dtype is clgrad.float64 and m.steps.dtype is clgrad.float64
    m.to(clgrad.float32)
    assert weight.dtype is clgrad.float32
    m.cpu()
    assert weight.device.type == "cpu"
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(clgrad.int64)


def test_apply_and_hooks():
    m = Net()
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Net"]
    calls = []
    h1 = m.fc1.register_forward_pre_hook(lambda mod, args: calls.append("pre") or
                                         (args[0] * 0,))
    h2 = m.fc1.register_forward_hook(lambda mod, args, out: calls.append("fwd") or out + 1)
    y = m.fc1(clgrad.ones(1, 3))
    assert calls == ["pre", "fwd"]
    np.testing.assert_allclose(y.detach().numpy(), m.fc1.bias.detach().numpy()[None] + 1,
                               rtol=1e-6)
    h1.remove()
    h2.remove()
    calls.clear()
    m.fc1(clgrad.ones(1, 3))
    assert calls == []
    with m.fc1.register_forward_hook(lambda *a: calls.append("ctx")):
        m.fc1(clgrad.ones(1, 3))
    m.fc1(clgrad.ones(1, 3))
    assert calls == ["ctx"]


def test_full_backward_hook():
    m = nn.Linear(3, 2)
    record = {}

    def hook(mod, grad_input, grad_output):
        record["in"] = grad_input
        record["out"] = grad_output
        return (grad_input[0] * 2,)

    handle = m.register_full_backward_hook(hook)
    x = clgrad.ones(4, 3, requires_grad=True)
    m(x).sum().backward()
    assert record["out"][0].shape == (4, 2)
    assert record["in"][0].shape == (4, 3)
    expected = 2 * m.weight.detach().numpy().sum(0)
    np.testing.assert_allclose(x.grad.numpy(), np.tile(expected, (4, 1)), rtol=1e-5)
    handle.remove()
    x.grad = None
    m(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.tile(expected / 2, (4, 1)), rtol=1e-5)


def test_repr_matches_torch():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = nn.Sequential(nn.Linear(3, 2), nn.ReLU(inplace=True), nn.Dropout(0.1))
            self.head = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.emb = nn.Embedding(10, 3, padding_idx=0)

        def forward(self, x):
            return x

    expected = ("Block(\n"
                "  (seq): Sequential(\n"
                "    (0): Linear(in_features=3, out_features=2, bias=True)\n"
                "    (1): ReLU(inplace=True)\n"
                "    (2): Dropout(p=0.1, inplace=False)\n"
                "  )\n"
                "  (head): ModuleList(\n"
                "    (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                "  )\n"
                "  (emb): Embedding(10, 3, padding_idx=0)\n"
                ")")
    assert repr(Block()) == expected
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_parameter_and_buffer():
    p = nn.Parameter(clgrad.tensor([1.0, 2.0]))
    assert isinstance(p, clgrad.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    q = nn.Parameter(clgrad.tensor([1.0]), requires_grad=False)
    assert not q.requires_grad
    assert nn.Parameter().shape == (0,)
    b = nn.Buffer(clgrad.ones(2))
    assert isinstance(b, nn.Buffer) and not isinstance(clgrad.ones(1), nn.Buffer)
    import copy
    c = copy.deepcopy(p)
    assert isinstance(c, nn.Parameter) and c is not p and c.tolist() == [1.0, 2.0]


def test_containers():
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(2, 3)), ("b", nn.ReLU())]))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU)
    assert len(seq[0:1]) == 1 and seq.a is seq[0]
    seq.append(nn.Tanh())
    assert len(seq) == 3
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "ReLU", "Tanh", "Sigmoid"]
    del ml[0]
    assert type(ml[0]).__name__ == "ReLU" and len(ml) == 3
    md = nn.ModuleDict({"x": nn.ReLU()})
    md["y"] = nn.Tanh()
    assert list(md.keys()) == ["x", "y"] and "x" in md
    pl = nn.ParameterList([clgrad.ones(2), nn.Parameter(clgrad.zeros(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"w": clgrad.ones(2)})
    assert isinstance(pd["w"], nn.Parameter) and list(pd.keys()) == ["w"]
    holder = nn.Module()
    holder.pl = pl
    assert [n for n, _ in holder.named_parameters()] == ["pl.0", "pl.1"]
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [clgrad.float32 of size "
                        "2]\n    (1): Parameter containing: [clgrad.float32 of size 3]\n)")
    assert repr(pd) == "ParameterDict(  (w): Parameter containing: [clgrad.FloatTensor of size 2])"


def test_default_init_bounds():
    clgrad.manual_seed(1)
    lin = nn.Linear(50, 20)
    bound = 1 / np.sqrt(50)
    w = lin.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(lin.bias.detach().numpy()).max() <= bound
    clgrad.manual_seed(1)
    again = nn.Linear(50, 20)
    assert np.array_equal(again.weight.detach().numpy(), w)


def test_lazy_linear():
    m = nn.LazyLinear(3)
    y = m(clgrad.ones(2, 5))
    assert type(m) is nn.Linear and m.in_features == 5 and m.weight.shape == (3, 5)
    assert y.shape == (2, 3)
    assert isinstance(m.weight, nn.Parameter)


def test_optimizer_survives_move(cl_device):
    m = nn.Linear(3, 1)
    params = list(m.parameters())
    m.to(cl_device)
    assert all(a is b for a, b in zip(params, m.parameters()))
    x = clgrad.ones(2, 3, device=cl_device)
    m(x).sum().backward()
    with clgrad.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    assert params[0].device == clgrad.device(cl_device)
