"""clgrad.utils.hooks.RemovableHandle: the one handle every register_*hook returns (API §3)."""
from __future__ import annotations

import pickle
from collections import OrderedDict

import pytest

import clgrad
from clgrad.utils.hooks import RemovableHandle


def test_ids_count_up_and_remove_deletes_the_hook():
    hooks = OrderedDict()
    first, second = RemovableHandle(hooks), RemovableHandle(hooks)
    assert second.id == first.id + 1
    hooks[first.id], hooks[second.id] = "a", "b"
    first.remove()
    first.remove()  # a second remove is a no-op
    assert list(hooks.values()) == ["b"]


def test_extra_dict_entries_go_with_the_hook():
    hooks, flags, more = OrderedDict(), OrderedDict(), OrderedDict()
    one = RemovableHandle(hooks, extra_dict=flags)
    many = RemovableHandle(hooks, extra_dict=[flags, more])
    for h in (one, many):
        hooks[h.id] = flags[h.id] = more[h.id] = True
    one.remove()
    assert one.id not in flags and one.id in more
    many.remove()
    assert not hooks and not flags and list(more) == [one.id]  # more was not one's


def test_context_manager_removes_on_exit():
    hooks = OrderedDict()
    with RemovableHandle(hooks) as handle:
        hooks[handle.id] = "hook"
        assert handle.id in hooks
    assert not hooks


def test_weak_references_as_torch():
    torch = pytest.importorskip("torch")
    for cls in (RemovableHandle, torch.utils.hooks.RemovableHandle):
        with pytest.raises(TypeError, match="cannot create weak reference to 'dict' object"):
            cls({})
        hooks = OrderedDict()
        handle = cls(hooks)
        del hooks
        handle.remove()  # the dict is gone: nothing to do, no error


def test_pickle_round_trip_keeps_ids_unique():
    hooks, flags = OrderedDict(), OrderedDict()
    handle = RemovableHandle(hooks, extra_dict=flags)
    hooks[handle.id] = flags[handle.id] = 1
    # Pickled with what it refers to, as module hooks are when a model is pickled.
    hooks2, flags2, handle2 = pickle.loads(pickle.dumps((hooks, flags, handle)))
    assert handle2.id == handle.id and RemovableHandle(OrderedDict()).id > handle.id
    handle2.remove()
    assert not hooks2 and not flags2 and hooks == {handle.id: 1}


def test_every_register_returns_the_one_class(device):
    x = clgrad.ones(2, device=device, requires_grad=True)
    y = x * 2
    module = clgrad.nn.Linear(2, 2, device=device)
    opt = clgrad.optim.SGD(module.parameters(), lr=0.1)
    handles = [y.register_hook(lambda g: g), x.register_post_accumulate_grad_hook(lambda t: None),
               y.grad_fn.register_hook(lambda gi, go: None),
               y.grad_fn.register_prehook(lambda go: None),
               module.register_forward_hook(lambda m, a, o: None),
               module.register_forward_pre_hook(lambda m, a: None),
               clgrad.nn.modules.module.register_module_forward_hook(lambda m, a, o: None),
               opt.register_step_pre_hook(lambda o, a, k: None)]
    assert all(type(h) is RemovableHandle for h in handles)
    ids = [h.id for h in handles]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # one sequence for all of them
    for h in handles:
        h.remove()


def test_removed_tensor_and_module_hooks_stop_running(device):
    calls = []
    x = clgrad.ones(2, device=device, requires_grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: calls.append("tensor"))
    handle.remove()
    y.sum().backward()
    module = clgrad.nn.Linear(2, 2, device=device)
    with module.register_forward_hook(lambda m, a, o: calls.append("module"),
                                      with_kwargs=False, always_call=True):
        module(x)
    module(x)
    assert calls == ["module"]
    assert not module._forward_hooks and not module._forward_hooks_always_called


def test_module_pickled_with_plain_hook_dicts_takes_handles_again():
    module = clgrad.nn.Linear(2, 2)
    state = module.__dict__.copy()
    state["_forward_hooks_with_kwargs"] = {}  # as a module pickled by an older clgrad holds
    del state["_forward_hooks_always_called"]
    old = clgrad.nn.Linear.__new__(clgrad.nn.Linear)
    old.__setstate__(state)
    handle = old.register_forward_hook(lambda m, a, k, o: None, with_kwargs=True,
                                       always_call=True)
    assert list(old._forward_hooks_with_kwargs) == [handle.id]
    handle.remove()
    assert not old._forward_hooks and not old._forward_hooks_always_called
