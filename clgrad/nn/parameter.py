"""Parameter, Buffer and UninitializedParameter (PyTorch's torch.nn.parameter)."""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]

_SLOTS = ("_storage", "_shape", "_stride", "_offset", "_contig", "_version")


def _share(cls, data: Tensor, requires_grad: bool) -> Tensor:
    """A fresh leaf of class cls viewing data's storage (like data.detach())."""
    t = object.__new__(cls)
    for slot in _SLOTS:
        setattr(t, slot, getattr(data, slot))
    t._grad = None
    t._grad_fn = None
    t._retains_grad = False
    t._base = None
    t._grad_accumulator = None
    t._requires_grad = False
    if requires_grad:
        t.requires_grad = True
    return t


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned as an attribute."""
    _repr_family = "Parameter"  # how _formatting.tensor_repr prints it and its subclasses

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, not {type(data).__name__}")
        return _share(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> "Parameter":
        if id(self) in memo:
            return memo[id(self)]
        from ..autograd.grad_mode import no_grad
        with no_grad():
            result = type(self)(self.data.clone(), self.requires_grad)
        if self._grad is not None:
            result._grad = self._grad.detach().clone()
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class UninitializedParameter(Parameter):
    """A parameter of unknown shape (LazyLinear); `materialize(shape)` gives it storage."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from ..ops.creation import empty
        return _share(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Allocate storage of `shape` and become a plain Parameter."""
        from ..ops.creation import empty
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.data = empty(shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    __str__ = __repr__  # Parameter's __str__ would print the empty placeholder's values

    def __deepcopy__(self, memo: dict) -> "UninitializedParameter":
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(Tensor):
    """A buffer of unknown shape (the lazy norms' running stats); `materialize(shape)` gives
    it storage and makes it a plain Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        from ..ops.creation import empty
        return _share(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        pass

    materialize = UninitializedParameter.materialize

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> "UninitializedBuffer":
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param) -> bool:
    """Whether param is an UninitializedParameter or UninitializedBuffer (no shape yet)."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))


class _BufferMeta(type):
    # isinstance(t, Buffer) holds for tensors made by Buffer(...), as in PyTorch.
    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a Tensor as a buffer when assigned to a Module (persistent: in state_dict)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
