"""Spatial transformers: affine_grid and grid_sample (2-d sampling), as PyTorch's.

grid_sample is composed from Tensor ops (unnormalise, pad by clamping or reflecting, gather
the corners, blend), so it runs on every backend; the result is recorded as one
GridSampler2DBackward0 node (AffineGridGeneratorBackward0 for affine_grid) whose rule
differentiates the same composition, so grad_fn names and double backward match PyTorch.
"""
from __future__ import annotations

import warnings

from ..._tensor import Tensor
from ..._typenames import scalar_name
from ...autograd.engine import grad as autograd_grad
from ...autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ...autograd.graph import needs_grad, record
from ...ops.fused.double_backward import independent
from ...ops.pointwise import where

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _default_align(align_corners):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=3)
        return False
    return bool(align_corners)


# -- affine_grid ----------------------------------------------------------------------------
def _base_grid(theta: Tensor, spatial: tuple, align_corners: bool) -> Tensor:
    """(prod(spatial), k+1) rows [x, y, (z,) 1], x running along the last spatial dim."""
    from ...ops.creation import linspace, ones
    from ...ops.join import stack
    axes = []
    for n in spatial:
        line = linspace(-1.0, 1.0, n, dtype=theta.dtype, device=theta.device)
        if n == 1:
            line = line * 0  # a unit dim sits at the centre (PyTorch >= 1.3)
        elif not align_corners:
            line = line * ((n - 1) / n)
        axes.append(line)
    k = len(spatial)
    coords = []
    for i in range(k):  # coordinate i (x first) varies along spatial dim k-1-i
        shape = [1] * k
        shape[k - 1 - i] = spatial[k - 1 - i]
        coords.append(axes[k - 1 - i].view(shape).expand(spatial))
    coords.append(ones(spatial, dtype=theta.dtype, device=theta.device))
    return stack(coords, -1).reshape(-1, k + 1)


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta (N, 2, 3)."""
    align_corners = _default_align(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError("Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError("Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n, k = size[0], len(spatial)
    with no_grad():
        base = _base_grid(theta, spatial, align_corners)
        grid = (base @ theta.transpose(1, 2)).reshape((n,) + spatial + (k,))
    if needs_grad(theta):
        def rule(g):
            # grid = base @ theta^T per batch, so d theta = g^T @ base
            return (g.reshape(n, -1, k).transpose(1, 2) @ base,)
        record("AffineGridGeneratorBackward0", grid, (theta,), rule)
    return grid


# -- grid_sample ----------------------------------------------------------------------------
def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """PyTorch's reflect_coordinates: fold coord into [low, high] by mirroring."""
    if twice_low == twice_high:
        return coord * 0
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - low).abs()
    extra = c.fmod(span)
    flips = (c / span).floor()
    return where(flips.fmod(2) == 0, extra + low, span - extra + low)


def _source_index(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    coord = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        coord = coord.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
        coord = coord.clamp(0, size - 1)
    return coord


def _corner(flat: Tensor, xs: Tensor, ys: Tensor, h: int, w: int) -> tuple:
    """Values of input at integer (xs, ys) (N, Ho, Wo), and the in-bounds mask."""
    n, c = flat._shape[:2]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    index = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).long()
    index = index.reshape(n, 1, -1).expand(n, c, index[0].numel())
    values = flat.gather(2, index).reshape((n, c) + xs._shape[1:])
    return values, inside.unsqueeze(1).to(flat.dtype)


def _sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str,
            align_corners: bool) -> Tensor:
    n, c, h, w = input._shape
    flat = input.reshape(n, c, h * w)
    ix = _source_index(grid[..., 0], w, padding_mode, align_corners)
    iy = _source_index(grid[..., 1], h, padding_mode, align_corners)
    if mode == "nearest":
        values, inside = _corner(flat, ix.round(), iy.round(), h, w)
        return values * inside
    x0, y0 = ix.floor(), iy.floor()
    x1, y1 = x0 + 1, y0 + 1
    out = None
    for xs, ys, wx, wy in ((x0, y0, x1 - ix, y1 - iy), (x1, y0, ix - x0, y1 - iy),
                           (x0, y1, x1 - ix, iy - y0), (x1, y1, ix - x0, iy - y0)):
        values, inside = _corner(flat, xs, ys, h, w)
        term = values * (inside * (wx * wy).unsqueeze(1))
        out = term if out is None else out + term
    return out


def _check_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.dim() != grid.dim() or input.dim() not in (4, 5):
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got {sizes}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {scalar_name(input.dtype)} but found "
                           f"{scalar_name(grid.dtype)}")
    if input.dim() == 5 or mode == "bicubic":
        what = "5-D (volumetric) input" if input.dim() == 5 else "mode='bicubic'"
        raise NotImplementedError(f"grid_sample with {what} is not implemented in clgrad; "
                                  "4-D input with mode 'bilinear' or 'nearest' is")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners=None) -> Tensor:
    """Sample input (N, C, H, W) at grid (N, Ho, Wo, 2) locations in [-1, 1]."""
    _check_sample(input, grid, mode, padding_mode)
    align_corners = _default_align(align_corners)
    options = (mode, padding_mode, align_corners)
    with no_grad():
        out = _sample(input, grid, *options)
    if needs_grad(input, grid):
        def rule(g):
            create_graph = is_grad_enabled()
            with enable_grad():
                # fresh aliases: the partial derivatives of this node only
                x = independent(input) if create_graph else input.detach()
                gr = independent(grid) if create_graph else grid.detach()
                wanted = [t for t, src in ((x, input), (gr, grid)) if src._requires_grad]
                for t in wanted:
                    if not create_graph:
                        t.requires_grad_(True)
                grads = iter(autograd_grad(_sample(x, gr, *options), wanted, g,
                                           create_graph=create_graph, allow_unused=True))
            result = []
            for src in (input, grid):
                gsrc = next(grads) if src._requires_grad else None
                if gsrc is None and src._requires_grad:
                    gsrc = src.detach() * 0  # nearest: the grid's gradient is zero
                result.append(gsrc)
            return tuple(result)
        record("GridSampler2DBackward0", out, (input, grid), rule, saved=(input, grid))
    return out
