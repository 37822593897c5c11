"""RemovableHandle: what every register_*hook returns (torch.utils.hooks.RemovableHandle).

One class for tensor, graph-node, module and optimizer hooks. It imports nothing from clgrad,
so autograd's graph core can use it without importing upward.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """A handle that removes a hook: `handle.remove()`, or leave a `with handle:` block.

    The caller stores its hook under `handle.id` in `hooks_dict`; `extra_dict` (a dict or a
    list of dicts) holds flags under the same id that go with it. As in PyTorch, the handle
    keeps only weak references, so a handle never keeps a module's or a node's hooks alive
    (the dicts must accept weak references: OrderedDict does, a plain dict does not).
    """

    id: int
    next_id: int = 0  # one sequence for every handle, as in PyTorch

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref: tuple = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (weakref.ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        """Unregister the hook (and its extra entries); a second call does nothing."""
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]
        for ref in self.extra_dict_ref:
            extra_dict = ref()
            if extra_dict is not None and self.id in extra_dict:
                del extra_dict[self.id]

    # Pickling keeps the dicts themselves; an unpickled handle moves next_id past its own id
    # so that new handles never reuse it.
    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        # A dead hooks dict (None) gets a reference that is already dead, as in PyTorch.
        self.hooks_dict_ref = weakref.ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        if len(state) < 3 or state[2] is None:
            self.extra_dict_ref = ()
        else:
            self.extra_dict_ref = tuple(weakref.ref(d) for d in state[2] if d is not None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, type: Any, value: Any, tb: Any) -> None:
        self.remove()
