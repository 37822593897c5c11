"""RNN, LSTM, GRU: multi-layer, optionally bidirectional, written with Tensor ops.

The input projections of a whole sequence are one GEMM per layer and direction; each time
step then adds one hidden-to-hidden GEMM and the gate arithmetic.
"""
from __future__ import annotations

import math
from typing import Optional

from ..._tensor import Tensor
from ...ops.creation import empty, tensor, zeros
from ...ops.pointwise import where
from ...ops.join import cat, stack
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _keep_where(mask: Tensor, new, old):
    if isinstance(new, tuple):
        return tuple(where(mask, n, o) for n, o in zip(new, old))
    return where(mask, new, old)


_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """Shared parameters and layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or \
                isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be an integer greater than zero")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be an integer greater than zero")
        if proj_size:
            raise NotImplementedError("clgrad's LSTM does not support proj_size")
        if dropout > 0 and num_layers == 1:
            import warnings
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        kw = dict(device=device, dtype=dtype)
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else hidden_size * directions
                suffix = "_reverse" if direction == 1 else ""
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gate_size, layer_input), (gate_size, hidden_size)]
                if bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gate_size,), (gate_size,)]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, **kw)))
                self._flat_weights_names.extend(names)
        self.reset_parameters()

    def flatten_parameters(self) -> None:
        """cuDNN packs an RNN's weights into one buffer; clgrad reads them where they are,
        so there is nothing to do (as PyTorch does off cuDNN)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list:
        per_layer = 4 if self.bias else 2
        return [[getattr(self, n) for n in self._flat_weights_names[i:i + per_layer]]
                for i in range(0, len(self._flat_weights_names), per_layer)]

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- the recurrence -----------------------------------------------------------------------
    def _cell(self, xw: Tensor, h, w_hh: Tensor, b_hh: Optional[Tensor]):
        """One step: xw the input projection (N, G); h the state; returns the new state."""
        raise NotImplementedError

    def _hidden(self, state):
        return state

    def _run_direction(self, x: Tensor, state, layer: int, direction: int, masks=None):
        suffix = "_reverse" if direction else ""
        w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        b_ih = getattr(self, f"bias_ih_l{layer}{suffix}") if self.bias else None
        b_hh = getattr(self, f"bias_hh_l{layer}{suffix}") if self.bias else None
        steps = x.shape[0]
        xw = F.linear(x, w_ih, b_ih)  # (L, N, G) in one GEMM
        outputs = [None] * steps
        order = range(steps - 1, -1, -1) if direction else range(steps)
        for t in order:
            new = self._cell(xw[t], state, w_hh, b_hh)
            if masks is not None:
                # Packed input: a finished (or not yet started, in reverse) sequence keeps its
                # state, so each final state is the one at that sequence's own last step.
                new = _keep_where(masks[t], new, state)
            state = new
            outputs[t] = self._hidden(state)
        return stack(outputs), state

    def _initial(self, hx, batch: int, x: Tensor):
        directions = 2 if self.bidirectional else 1
        if hx is None:
            return zeros((self.num_layers * directions, batch, self.hidden_size),
                         dtype=x.dtype, device=x.device)
        return hx

    def _split_state(self, state, index: int):
        return state[index]

    def _join_states(self, states: list):
        return stack(states)

    def _forward_packed(self, packed, hx):
        from ..utils.rnn import PackedSequence, _padded_sorted
        padded, lengths = _padded_sorted(packed, 0.0, int(packed.batch_sizes.shape[0]))
        if padded.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {padded.shape[-1]}")
        if hx is not None and packed.sorted_indices is not None:
            # hx is given in the caller's batch order; the packed data is sorted.
            idx = packed.sorted_indices
            hx = tuple(h.index_select(1, idx) for h in hx) if isinstance(hx, tuple) else \
                hx.index_select(1, idx)
        hx = self._initial(hx, padded.shape[1], padded)
        masks = [tensor([[n > t] for n in lengths], device=padded.device)
                 for t in range(padded.shape[0])]
        output, final = self._layers(padded, hx, masks)
        sizes = [int(b) for b in packed.batch_sizes.tolist()]
        data = cat([output[t, :b] for t, b in enumerate(sizes)], 0)
        if packed.unsorted_indices is not None:
            idx = packed.unsorted_indices
            final = tuple(f.index_select(1, idx) for f in final) if isinstance(final, tuple) \
                else final.index_select(1, idx)
        return PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                              packed.unsorted_indices), final

    def _layers(self, x: Tensor, hx, masks=None):
        directions = 2 if self.bidirectional else 1
        finals = []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                index = layer * directions + direction
                out, state = self._run_direction(x, self._split_state(hx, index), layer,
                                                 direction, masks)
                outs.append(out)
                finals.append(state)
            x = outs[0] if directions == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, self._join_states(finals)

    def forward(self, input: Tensor, hx=None):
        from ..utils.rnn import PackedSequence
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = input.dim() == 3
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        if not batched:
            input = input.unsqueeze(1)
            if hx is not None:
                hx = tuple(h.unsqueeze(1) for h in hx) if isinstance(hx, tuple) else \
                    hx.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        batch = input.shape[1]
        hx = self._initial(hx, batch, input)
        output, final = self._layers(input, hx)
        if not batched:
            output = output.squeeze(1)
            final = tuple(f.squeeze(1) for f in final) if isinstance(final, tuple) else \
                final.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, final


class RNN(RNNBase):
    """Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity

    def _cell(self, xw, h, w_hh, b_hh):
        pre = xw + F.linear(h, w_hh, b_hh)
        return pre.tanh() if self.mode == "RNN_TANH" else F.relu(pre)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def _cell(self, xw, state, w_hh, b_hh):
        h, c = state
        gates = xw + F.linear(h, w_hh, b_hh)
        i, f, g, o = gates.chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return h, c

    def _hidden(self, state):
        return state[0]

    def _initial(self, hx, batch, x):
        if hx is None:
            h = super()._initial(None, batch, x)
            return h, h
        if not isinstance(hx, tuple) or len(hx) != 2:
            raise RuntimeError("LSTM: expected hx to be a tuple (h_0, c_0)")
        return hx

    def _split_state(self, state, index):
        return state[0][index], state[1][index]

    def _join_states(self, states):
        return stack([s[0] for s in states]), stack([s[1] for s in states])


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n as in PyTorch)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("GRU", *args, **kwargs)

    def _cell(self, xw, h, w_hh, b_hh):
        hw = F.linear(h, w_hh, b_hh)
        x_r, x_z, x_n = xw.chunk(3, 1)
        h_r, h_z, h_n = hw.chunk(3, 1)
        r = (x_r + h_r).sigmoid()
        z = (x_z + h_z).sigmoid()
        n = (x_n + r * h_n).tanh()
        return (1 - z) * n + z * h


# -- single-step cells ------------------------------------------------------------------------
def _check_cell_shapes(cell, input: Tensor, hx: Tensor, name: str = "hidden0") -> None:
    """The shape checks PyTorch's cell kernels make, with their messages."""
    if input.shape[1] != cell.input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                           f"{cell.input_size}")
    if input.shape[0] != hx.shape[0]:
        raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match {name} batch size "
                           f"{hx.shape[0]}")
    if hx.shape[1] != cell.hidden_size:
        raise RuntimeError(f"{name} has inconsistent hidden_size: got {hx.shape[1]}, expected "
                           f"{cell.hidden_size}")


class RNNCellBase(Module):
    """Parameters shared by RNNCell, LSTMCell and GRUCell: weight_ih, weight_hh and biases."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        kw = dict(device=device, dtype=dtype)
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty((num_chunks * hidden_size,), **kw))
            self.bias_hh = Parameter(empty((num_chunks * hidden_size,), **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _batched(self, input: Tensor, hx, hidden_names):
        """Validate ranks, add the batch dimension to unbatched input; returns the flag."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        if hx is not None:
            for label, h in zip(hidden_names, hx):
                if h.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got "
                                     f"{h.dim()}D instead")
        return input.dim() == 2

    def _zeros(self, input: Tensor) -> Tensor:
        return zeros((input.shape[0], self.hidden_size), dtype=input.dtype,
                     device=input.device)


class RNNCell(RNNCellBase):
    """An Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        batched = self._batched(input, None if hx is None else (hx,), ("hidden",))
        if not batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        _check_cell_shapes(self, input, hx)
        pre = F.linear(input, self.weight_ih, self.bias_ih) + \
            F.linear(hx, self.weight_hh, self.bias_hh)
        if self.nonlinearity == "tanh":
            out = pre.tanh()
        elif self.nonlinearity == "relu":
            out = F.relu(pre)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """An LSTM cell; forward returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx=None):
        batched = self._batched(input, hx, ("hx[0]", "hx[1]"))
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = self._zeros(input)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        h, c = hx
        _check_cell_shapes(self, input, h, "hidden0")
        _check_cell_shapes(self, input, c, "hidden1")
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        # The gate math is LSTM's, one step of it.
        h, c = LSTM._cell(self, xw, (h, c), self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A GRU cell (gates r, z, n as in PyTorch)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        batched = self._batched(input, None if hx is None else (hx,), ("hidden",))
        if not batched:
            input = input.unsqueeze(0)
        hx = self._zeros(input) if hx is None else (hx if batched else hx.unsqueeze(0))
        _check_cell_shapes(self, input, hx)
        xw = F.linear(input, self.weight_ih, self.bias_ih)
        out = GRU._cell(self, xw, hx, self.weight_hh, self.bias_hh)
        return out if batched else out.squeeze(0)
