"""BatchedTensor: what a function under vmap sees in place of each mapped input.

It holds the physical tensor with the vmapped dim moved to the front (`_bvalue`) and the vmap
level it belongs to (`_blevel`). The physical tensor is a plain Tensor, or for nested vmap a
BatchedTensor of a lower level (vmap of vmap nests wrappers, the highest level outermost), so
the batching rules are written once against the Tensor API of the value below.

BatchedTensor subclasses Tensor so that isinstance checks and Python's reflected operators
(plain + batched calls the batched __radd__ first) work, but it never sets Tensor's slots: op
code that reaches into a tensor's storage, shape or strides raises AttributeError on it, and
vmap then reruns the function as a per-sample loop. Logical metadata (shape, dim, size, ...)
hides the batch dim. Methods with a batching rule run one op on the physical tensor; every
other public Tensor method and property gets the per-op slow fallback (one call per sample,
stacked), installed on first use (ops modules register Tensor methods as they import)."""
from __future__ import annotations

import builtins

from .._tensor import Size, Tensor


class Unbatchable(Exception):
    """The batched run cannot go on; vmap reruns the function as a per-sample loop."""


class Level:
    """One active vmap in batched mode: its level number, batch size and randomness mode."""
    __slots__ = ("level", "size", "randomness", "draws")

    def __init__(self, level: int, size: int, randomness: str):
        self.level = level
        self.size = size
        self.randomness = randomness
        self.draws = 0


# The vmaps running in batched mode, outermost first (a vmap running its loop is not here).
LEVELS: list = []
# >0 while a batching rule draws random numbers on purpose ('different': one draw per sample).
SANCTIONED = [0]


def level_info(level: int) -> Level:
    for info in LEVELS:
        if info.level == level:
            return info
    raise Unbatchable("vmap: a BatchedTensor escaped its vmap")


class BatchedTensor(Tensor):
    __slots__ = ("_bvalue", "_blevel")

    def __repr__(self, *, tensor_contents=None) -> str:
        return "BatchedTensor(lvl=%d, bdim=0, value=\n%r\n)" % (self._blevel, self._bvalue)

    __str__ = __repr__

    def __hash__(self) -> int:
        return id(self)

    # -- logical metadata (the batch dim hidden) -------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._bvalue.shape[1:])

    def size(self, dim=None):
        shape = self._bvalue.shape[1:]
        if dim is None:
            return Size(shape)
        n = len(shape)
        if not -max(n, 1) <= dim < max(n, 1):
            raise IndexError("Dimension out of range (expected to be in range of [%d, %d], but "
                             "got %d)" % (-max(n, 1), max(n, 1) - 1, dim))
        return shape[dim] if n else 1

    def dim(self) -> int:
        return self._bvalue.dim() - 1

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._bvalue.dim() - 1

    def numel(self) -> int:
        n = 1
        for s in self._bvalue.shape[1:]:
            n *= s
        return n

    nelement = numel

    @property
    def dtype(self):
        return self._bvalue.dtype

    @property
    def device(self):
        return self._bvalue.device

    @property
    def is_cl(self) -> builtins.bool:
        return self._bvalue.is_cl

    is_cuda = is_cl

    @property
    def is_cpu(self) -> builtins.bool:
        return self._bvalue.is_cpu

    def is_floating_point(self) -> builtins.bool:
        return self._bvalue.is_floating_point()

    def is_signed(self) -> builtins.bool:
        return self._bvalue.is_signed()

    def is_complex(self) -> builtins.bool:
        return False

    def element_size(self) -> int:
        return self._bvalue.element_size()

    @property
    def itemsize(self) -> int:
        return self._bvalue.itemsize

    def get_device(self) -> int:
        return self._bvalue.get_device()

    # -- autograd attributes: those of the physical tensor ---------------------------------
    @property
    def requires_grad(self) -> builtins.bool:
        return self._bvalue.requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        self._bvalue.requires_grad = value

    def requires_grad_(self, requires_grad: builtins.bool = True) -> "BatchedTensor":
        self._bvalue.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._bvalue.grad_fn

    @property
    def is_leaf(self) -> builtins.bool:
        return self._bvalue.is_leaf

    @property
    def grad(self):
        raise Unbatchable("vmap: .grad of a batched tensor")

    def backward(self, *args, **kwargs):
        raise Unbatchable("vmap: backward() on a batched tensor")

    def detach(self) -> "BatchedTensor":
        return wrap(self._bvalue.detach(), self._blevel)

    def detach_(self) -> "BatchedTensor":
        self._bvalue.detach_()
        return self

    @property
    def data(self) -> "BatchedTensor":
        return wrap(self._bvalue.data, self._blevel)

    def __len__(self) -> int:
        shape = self._bvalue.shape
        if len(shape) < 2:
            raise TypeError("len() of a 0-d tensor")
        return shape[1]

    def __iter__(self):
        if self._bvalue.dim() < 2:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))


def wrap(value, level: int) -> BatchedTensor:
    t = object.__new__(BatchedTensor)
    t._bvalue = value
    t._blevel = level
    return t


def level_of(x) -> int:
    return x._blevel if type(x) is BatchedTensor else 0


def top_level(args, kwargs) -> int:
    """The highest vmap level among args and kwargs (one list/tuple level deep)."""
    top = 0
    for a in args:
        if type(a) is BatchedTensor:
            if a._blevel > top:
                top = a._blevel
        elif type(a) in (list, tuple):
            for b in a:
                if type(b) is BatchedTensor and b._blevel > top:
                    top = b._blevel
    if kwargs:
        for a in kwargs.values():
            if type(a) is BatchedTensor:
                if a._blevel > top:
                    top = a._blevel
            elif type(a) in (list, tuple):
                for b in a:
                    if type(b) is BatchedTensor and b._blevel > top:
                        top = b._blevel
    return top


def unwrap(x, level: int):
    """(value, True) for a BatchedTensor of `level`, else (x, False)."""
    if type(x) is BatchedTensor and x._blevel == level:
        return x._bvalue, True
    return x, False


def logical_dim(x, level: int) -> int:
    if type(x) is BatchedTensor and x._blevel == level:
        return x._bvalue.dim() - 1
    return x.dim()


def pad(value, k: int):
    """value (batch dim first) with k size-1 dims inserted after the batch dim (a view)."""
    for _ in range(k):
        value = value.unsqueeze(1)
    return value


# -- the per-op slow fallback ------------------------------------------------------------------
def _select(x, level: int, b: int):
    if type(x) is BatchedTensor:
        if x._blevel == level:
            return x._bvalue.select(0, b)
        return x
    if type(x) in (list, tuple):
        return type(x)(_select(y, level, b) for y in x)
    if type(x) is dict:
        return {k: _select(v, level, b) for k, v in x.items()}
    return x


_INPLACE_DUNDERS = frozenset({"__iadd__", "__isub__", "__imul__", "__itruediv__",
                              "__ifloordiv__", "__imod__", "__ipow__", "__iand__", "__ior__",
                              "__ixor__", "__setitem__", "__imatmul__"})


def is_inplace(name: str) -> builtins.bool:
    return (name.endswith("_") and not name.endswith("__")) or name in _INPLACE_DUNDERS


def fallback(fn, level: int, args, kwargs, name: str = ""):
    """fn called once per sample of `level` (the unbatched call), the results stacked."""
    if kwargs.get("out") is not None:
        raise Unbatchable("vmap: out= with batched tensors")
    if name and is_inplace(name) and args and level_of(args[0]) != level:
        # In-place into a tensor that is not batched at this level: PyTorch refuses it; the
        # per-sample loop gives what the function meant.
        raise Unbatchable("vmap: in-place %s into an unbatched tensor" % name)
    from . import _vmap  # noqa: F401 (the counters)
    from ._tree import flatten
    info = level_info(level)
    _vmap.STATS["op_fallback"] += 1
    same = info.randomness == "same"
    state = None
    if same:
        import clgrad
        state = clgrad.random.get_rng_state()
    first_draws = info.draws
    results = []
    SANCTIONED[0] += 1
    try:
        for b in range(info.size):
            if same and b and info.draws != first_draws:
                import clgrad
                clgrad.random.set_rng_state(state)
            results.append(fn(*_select(args, level, b), **_select(kwargs, level, b)))
    finally:
        SANCTIONED[0] -= 1
    if name and is_inplace(name):
        if all(r is None for r in results):
            return None
        return args[0]
    leaves0, rebuild = flatten(results[0])
    columns = [flatten(r)[0] for r in results]
    if any(len(c) != len(leaves0) for c in columns):
        raise Unbatchable("vmap: per-sample results differ in structure")
    from ._rules import B
    out = []
    for k, first in enumerate(leaves0):
        items = [c[k] for c in columns]
        if isinstance(first, Tensor):
            if not all(isinstance(t, Tensor) for t in items):
                raise Unbatchable("vmap: per-sample results differ in type")
            out.append(wrap(B["stack"](items), level))
        elif first is None:
            if any(t is not None for t in items):
                raise Unbatchable("vmap: per-sample results differ")
            out.append(None)
        else:
            if any(t != first for t in items):
                raise Unbatchable("vmap: a per-sample Python value differs between samples")
            out.append(first)
    return rebuild(out)


# -- fallback methods and properties for everything without a rule ------------------------------
_NEVER = frozenset({
    "__init__", "__new__", "__repr__", "__str__", "__hash__", "__format__", "__getattribute__",
    "__setattr__", "__delattr__", "__dir__", "__class__", "__reduce__", "__reduce_ex__",
    "__sizeof__", "__subclasshook__", "__init_subclass__", "__getstate__", "__setstate__",
    "__deepcopy__", "__copy__", "__slots__", "__dict__", "__weakref__", "__module__", "__doc__",
    "__array_priority__", "__array__", "__annotations__", "__qualname__",
})
_installed = [False]


def _fallback_method(name: str):
    def method(self, *args, **kwargs):
        level = top_level((self,) + args, kwargs)
        call = _method_caller(name)
        if not level:
            return call(self, *args, **kwargs)
        return fallback(call, level, (self,) + args, kwargs, name)
    method.__name__ = name
    return method


def _fallback_property(name: str):
    def get(self):
        return fallback(lambda s: getattr(s, name), self._blevel, (self,), {})
    return property(get)


_CALLERS: dict = {}


def _method_caller(name: str):
    call = _CALLERS.get(name)
    if call is None:
        def call(s, *args, **kwargs):
            return getattr(s, name)(*args, **kwargs)
        _CALLERS[name] = call
    return call


def install_fallbacks() -> None:
    """Give BatchedTensor a fallback for every public Tensor method/property without a rule."""
    if _installed[0]:
        return
    _installed[0] = True
    own = set()
    for klass in BatchedTensor.__mro__:
        if klass is Tensor:
            break
        own.update(vars(klass))
    for name in dir(Tensor):
        if name in own or name in _NEVER:
            continue
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        attr = None
        for klass in Tensor.__mro__:
            if name in vars(klass):
                attr = vars(klass)[name]
                break
        if attr is None or klass is object:
            continue
        if isinstance(attr, property):
            setattr(BatchedTensor, name, _fallback_property(name))
        elif callable(attr) and not isinstance(attr, (type, classmethod, staticmethod)):
            setattr(BatchedTensor, name, _fallback_method(name))
