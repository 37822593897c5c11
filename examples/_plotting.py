"""Helpers shared by the examples: importing clgrad from a checkout, picking a device,
building the device's kernels up front with a visible bar, tqdm progress bars and matplotlib
figures.

tqdm and matplotlib come with the `examples` extra (pip install '.[examples]'). Without them
the examples still run: progress is printed as plain lines, the figures are skipped, and
`report_skipped()` says once which ones and how to get them.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad

try:
    from tqdm import tqdm
except ImportError:
    tqdm = None
try:
    import matplotlib
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt
except ImportError:
    plt = None

__all__ = ["pick_device", "describe", "training_steps", "progress", "write", "warm_up",
           "plot_curves", "plot_predictions", "report_skipped"]

_skipped: List[str] = []  # figures not drawn for want of matplotlib


def pick_device(requested: Optional[str]) -> "clgrad.device":
    """The device asked for, else the default OpenCL device, else cpu (saying so)."""
    if requested:
        return clgrad.device(requested)
    if clgrad.cl.is_available():
        return clgrad.device("cl")
    print("No OpenCL device found (see `python -m clgrad info`); running on cpu instead.")
    return clgrad.device("cpu")


def describe(device: "clgrad.device") -> str:
    """'cl:0 (the OpenCL device's name)' for an OpenCL device, 'cpu (numpy)' for cpu."""
    if device.type != "cl":
        return f"{device} (numpy)"
    index = clgrad.cl.current_device() if device.index is None else device.index
    return f"cl:{index} ({clgrad.cl.get_device_name(index)})"


def _short(device: "clgrad.device") -> str:
    return describe(device).split(" ")[0]


class _PlainProgress:
    """What the examples use of tqdm, printing one line when the loop ends instead of a bar."""

    def __init__(self, iterable: Optional[Iterable] = None, desc: str = "",
                 total: Optional[int] = None, leave: bool = True) -> None:
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None or iterable is None else len(iterable)
        self.leave = leave
        self.n = 0
        self.postfix = ""
        self.start = time.perf_counter()

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **kwargs) -> None:
        items = dict(ordered_dict or {}, **kwargs)
        self.postfix = ", ".join(f"{k}={v}" for k, v in items.items())

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        self.postfix = text

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        if self.leave:
            elapsed = time.perf_counter() - self.start
            tail = f", {self.postfix}" if self.postfix else ""
            print(f"{self.desc}: {self.n}/{self.total}{tail}, {elapsed:.1f}s", flush=True)
        self.leave = False  # print once

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.n += 1
        self.close()


class _Progress(tqdm if tqdm is not None else object):  # type: ignore[misc]
    """tqdm, whose set_postfix also takes one string (as the earlier helper's did)."""

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        if isinstance(ordered_dict, str):
            return self.set_postfix_str(ordered_dict, refresh=refresh)
        return super().set_postfix(ordered_dict, refresh=refresh, **kwargs)


def progress(iterable: Optional[Iterable] = None, desc: str = "", total: Optional[int] = None,
             leave: bool = True, **kwargs):
    """A tqdm bar over `iterable` (on stderr), or plain printed progress without tqdm."""
    if tqdm is None:
        return _PlainProgress(iterable, desc=desc, total=total)  # always leaves its line
    # In a log (not a terminal) every redraw is a line: redraw less often there, and keep
    # each finished bar (with its last postfix) as the record of that loop.
    live = sys.stderr.isatty()
    kwargs.setdefault("mininterval", 0.1 if live else 5.0)
    return _Progress(iterable, desc=desc, total=total, leave=leave or not live,
                     dynamic_ncols=True,
                     **kwargs)


def write(text: str) -> None:
    """Print a line without breaking a tqdm bar that is being drawn."""
    if tqdm is None:
        print(text, flush=True)
    else:
        tqdm.write(text)


def warm_up(device: "clgrad.device", steps: Sequence[Tuple[str, Callable[[], object]]]) -> None:
    """Run `steps` ((label, fn) pairs: one training step of the example, say) once before
    training, so that the OpenCL kernels are built under a visible "compiling kernels for
    cl:0" bar instead of during a silent first step. Nothing to do on cpu."""
    if device.type != "cl":
        return
    desc = f"compiling kernels for {_short(device)}"
    if tqdm is None:
        print(f"{desc} (built once, then cached) ...", flush=True)
        bar = None
    else:
        bar = tqdm(total=len(steps), desc=desc, unit="step", dynamic_ncols=True)

    def show(done: int, total: int, label: Optional[str]) -> None:
        if bar is None:
            if label:
                print(f"  {label}", flush=True)
            return
        bar.update(done - bar.n)
        bar.set_postfix_str(label or "done")

    # dry_run: the steps run once with stand-ins to learn every kernel they need, which are
    # then built as one or two programs (each program costs the driver a fixed price), then
    # for real.
    stats = clgrad.cl.warmup(device, ops=steps, progress=show, dry_run=True)
    if bar is not None:
        bar.close()
    print(f"kernels for {_short(device)} ready: {stats['programs']} programs in "
          f"{stats['seconds']:.1f}s (a later run finds them in the driver's cache)", flush=True)


def training_steps(model, optimizer, loss_fn, batch, device) -> List[Tuple[str, Callable]]:
    """The (label, fn) steps of one training step and one evaluation, for warm_up()."""
    state = {}

    def evaluate():
        model.eval()
        with clgrad.no_grad():
            out = model(state["x"])
            loss_fn(out, state["y"]).item()
            (out.argmax(1) == state["y"]).sum().item()
        model.train()

    images, labels = batch
    return [
        ("copy a batch", lambda: state.update(x=images.to(device), y=labels.to(device))),
        ("forward", lambda: state.update(out=model(state["x"]))),
        ("loss", lambda: state.update(loss=loss_fn(state["out"], state["y"]))),
        ("backward", lambda: state["loss"].backward()),
        ("optimizer step", lambda: (optimizer.step(), optimizer.zero_grad(),
                                    state["loss"].item())),
        ("evaluation", evaluate),
    ]


def _skip(path: str) -> None:
    _skipped.append(os.path.basename(path))


def plot_curves(curves: dict, path: str, xlabel: str = "step", ylabel: str = "loss",
                title: str = "", styles: Optional[dict] = None) -> Optional[str]:
    """Plot ``{name: (xs, ys)}`` as lines with a legend into the PNG `path`; return the path,
    or None when matplotlib is missing (the figure is then listed by report_skipped())."""
    if plt is None:
        _skip(path)
        return None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
    for name, (x, y) in curves.items():
        ax.plot(x, y, label=name, **(styles or {}).get(name, {}))
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


def plot_predictions(images, predicted: Sequence[int], true: Sequence[int], path: str,
                     classes: Optional[Sequence[str]] = None, title: str = "",
                     ncols: int = 8) -> Optional[str]:
    """A grid of `images` (N, H, W) greyscale or (N, H, W, 3) in [0, 1], each titled with its
    predicted and true label, wrong ones in red and bold; the path, or None without
    matplotlib."""
    if plt is None:
        _skip(path)
        return None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    name = (lambda k: classes[k]) if classes is not None else str
    nrows = (len(images) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.25 * ncols, 1.6 * nrows + 0.6), dpi=80,
                             squeeze=False)
    wrong = 0
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(images[k], cmap="gray_r" if images[k].ndim == 2 else None,
                  interpolation="nearest", vmin=0.0, vmax=1.0)
        ok = predicted[k] == true[k]
        wrong += not ok
        ax.set_title(f"pred {name(predicted[k])}\ntrue {name(true[k])}",
                     color="black" if ok else "red", fontsize=8 if classes else 9,
                     fontweight="normal" if ok else "bold")
    fig.suptitle(f"{title}\npredicted and true label above each image; {wrong} of "
                 f"{len(images)} shown are wrong (red)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report_skipped() -> None:
    """Say once which figures were not drawn, and how to get them and the progress bars."""
    missing = [name for name, mod in (("matplotlib", plt), ("tqdm", tqdm)) if mod is None]
    if not missing:
        return
    what = f"skipped {', '.join(_skipped)}" if _skipped else "no figures were skipped"
    print(f"{' and '.join(missing)} not installed: {what}"
          f"{'' if tqdm else '; plain progress lines instead of bars'}. "
          "Install them with: pip install '.[examples]'", flush=True)
    _skipped.clear()
