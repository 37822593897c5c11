"""clgrad.onnx: present so that programs importing it run; clgrad cannot export ONNX graphs.

clgrad runs eagerly and records no traceable graph, so `export` raises NotImplementedError
that names what to use instead.
"""
from __future__ import annotations

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]


class OnnxExporterError(RuntimeError):
    """Raised by exporters on failure (kept for `except clgrad.onnx.OnnxExporterError`)."""


def export(model, args=(), f=None, *a, **kwargs):
    """Not supported: save `model.state_dict()` with clgrad.save instead."""
    raise NotImplementedError(
        "clgrad.onnx.export: clgrad cannot export ONNX graphs. Save the weights with "
        "clgrad.save(model.state_dict(), path) and load them with "
        "model.load_state_dict(clgrad.load(path)); the file is PyTorch's format, so "
        "torch.load can read it and torch.onnx.export the same model.")


def is_in_onnx_export() -> bool:
    """False: clgrad never traces for export."""
    return False
