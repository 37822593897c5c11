"""Helpers shared by the examples: importing clgrad from a checkout, picking a device, a
progress bar on stderr and a loss-curve PNG (matplotlib when installed, else a small numpy
rasteriser writing PNG through clgrad.vision.utils.write_png).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad

from clgrad.vision.utils import write_png

__all__ = ["pick_device", "progress", "plot_curves"]


def pick_device(requested: Optional[str]) -> "clgrad.device":
    """The device asked for, else the default OpenCL device, else cpu (saying so)."""
    if requested:
        return clgrad.device(requested)
    if clgrad.cl.is_available():
        return clgrad.device("cl")
    print("No OpenCL device found (see `python -m clgrad info`); running on cpu instead.")
    return clgrad.device("cpu")


class progress:
    """Wrap an iterable and draw ``desc [#####.....] i/n  postfix  elapsed`` on stderr.

    On a terminal the bar is redrawn in place; elsewhere (logs, pipes) only the finished bar
    is written, so captured output stays one line per epoch. ``set_postfix`` changes the text
    shown after the counter (the running loss, say).
    """

    def __init__(self, iterable: Iterable, desc: str = "", total: Optional[int] = None,
                 width: int = 30, stream=None) -> None:
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None else len(iterable)  # type: ignore[arg-type]
        self.width = width
        self.stream = stream or sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.postfix = ""
        self.count = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def set_postfix(self, text: str) -> None:
        self.postfix = text

    def _draw(self, end: str = "") -> None:
        done = int(self.width * self.count / max(self.total, 1))
        bar = "#" * done + "." * (self.width - done)
        elapsed = time.perf_counter() - self.start
        line = f"{self.desc} [{bar}] {self.count}/{self.total} {self.postfix} {elapsed:.1f}s"
        self.stream.write("\r" + line + end if self.live else line + end)
        self.stream.flush()

    def __iter__(self) -> Iterator:
        self.start = time.perf_counter()
        for item in self.iterable:
            yield item
            self.count += 1
            now = time.perf_counter()
            if self.live and now - self._last_draw > 0.1:
                self._last_draw = now
                self._draw()
        self._draw("\n")


# Line colours of the rasteriser (RGB): blue, orange, green, red, as matplotlib's first four.
_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]


def _draw_segment(img: np.ndarray, x0: float, y0: float, x1: float, y1: float,
                  colour: Sequence[int], thickness: int = 2) -> None:
    steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    xs = np.rint(np.linspace(x0, x1, steps + 1)).astype(int)
    ys = np.rint(np.linspace(y0, y1, steps + 1)).astype(int)
    h, w = img.shape[:2]
    for dy in range(thickness):
        for dx in range(thickness):
            img[np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)] = colour


def _nice_ticks(low: float, high: float, count: int = 5) -> np.ndarray:
    span = max(high - low, 1e-12)
    step = 10 ** np.floor(np.log10(span / count))
    for mult in (1, 2, 5, 10):
        if span / (step * mult) <= count:
            step *= mult
            break
    return np.arange(np.ceil(low / step) * step, high + step * 1e-9, step)


def _rasterise(curves: dict, path: str, size=(640, 400), margin: int = 40) -> None:
    """White canvas, grey grid at round y values, black axes, one coloured line per curve."""
    width, height = size
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    xs_all = np.concatenate([np.asarray(x, float) for x, _ in curves.values()])
    ys_all = np.concatenate([np.asarray(y, float) for _, y in curves.values()])
    x_lo, x_hi = float(xs_all.min()), float(xs_all.max())
    y_lo, y_hi = min(float(ys_all.min()), 0.0), float(ys_all.max())
    x_hi = x_hi if x_hi > x_lo else x_lo + 1
    y_hi = y_hi if y_hi > y_lo else y_lo + 1
    left, right, top, bottom = margin, width - margin // 2, margin // 2, height - margin

    def px(x, y):
        return (left + (np.asarray(x, float) - x_lo) / (x_hi - x_lo) * (right - left),
                bottom - (np.asarray(y, float) - y_lo) / (y_hi - y_lo) * (bottom - top))
    for tick in _nice_ticks(y_lo, y_hi):
        _, ty = px(x_lo, tick)
        img[int(round(ty)), left:right] = (225, 225, 225)
        img[int(round(ty)), left - 6:left] = 0
    for tick in _nice_ticks(x_lo, x_hi):
        tx, _ = px(tick, y_lo)
        img[bottom:bottom + 6, int(round(tx))] = 0
    img[top:bottom + 1, left - 1:left + 1] = 0
    img[bottom:bottom + 2, left - 1:right] = 0
    for k, (x, y) in enumerate(curves.values()):
        cx, cy = px(x, y)
        colour = _COLOURS[k % len(_COLOURS)]
        if len(cx) == 1:
            _draw_segment(img, cx[0] - 2, cy[0], cx[0] + 2, cy[0], colour, 3)
        for i in range(len(cx) - 1):
            _draw_segment(img, cx[i], cy[i], cx[i + 1], cy[i + 1], colour)
    write_png(path, img)


def plot_curves(curves: dict, path: str, xlabel: str = "step", ylabel: str = "loss",
                title: str = "") -> str:
    """Plot ``{name: (xs, ys)}`` as lines into the PNG file `path` and return the path.

    With matplotlib installed the plot has labels and a legend; without it the numpy
    rasteriser draws the axes, grid lines at round values and the curves (in matplotlib's
    first colours, in the order given), with no text.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _rasterise(curves, path)
        return path
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, (x, y) in curves.items():
        ax.plot(x, y, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
