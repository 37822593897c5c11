"""clgrad.utils.tensorboard.SummaryWriter, read back with tensorboard's event reader."""
import glob
import os

import pytest

import clgrad


def _events(logdir):
    # The raw loader: EventFileLoader would convert the summaries to tensorboard's new style.
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
    from tensorboard.compat.proto.event_pb2 import Event
    out = []
    for path in sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))):
        out.extend(Event.FromString(b) for b in RawEventFileLoader(path).Load())
    return [e for e in out if e.HasField("summary")]


def test_scalars_histogram_image_text(tmp_path, device):
    pytest.importorskip("tensorboard")
    from clgrad.utils.tensorboard import SummaryWriter
    with SummaryWriter(log_dir=str(tmp_path)) as w:
        assert w.get_logdir() == str(tmp_path)
        w.add_scalar("loss", clgrad.tensor(0.5, device=device), global_step=3)
        w.add_scalar("lr", 0.25, 4)
        w.add_histogram("w", clgrad.tensor([0.1, 0.2, -1.0, 3.0], device=device), 5)
        w.add_image("img", clgrad.rand(3, 4, 5, device=device), 6)
        w.add_image("gray", clgrad.zeros(4, 5, dtype=clgrad.uint8, device=device), 6,
                    dataformats="HW")
        w.add_text("note", "hello", 7)
        w.add_scalars("run", {"a": 1.0, "b": 2.0}, 8)
        with pytest.raises(NotImplementedError):
            w.add_graph(clgrad.nn.Linear(2, 2))
    ev = {v.tag: (e.step, v) for e in _events(tmp_path) for v in e.summary.value}
    assert ev["loss"][0] == 3 and ev["loss"][1].simple_value == 0.5
    assert ev["lr"][1].simple_value == 0.25
    h = ev["w"][1].histo
    assert h.num == 4 and sum(h.bucket) == 4 and abs(h.sum - 2.3) < 1e-6
    assert h.min == -1.0 and h.max == 3.0
    img = ev["img"][1].image
    assert (img.height, img.width, img.colorspace) == (4, 5, 3)
    assert img.encoded_image_string[:4] == b"\x89PNG"
    assert ev["note/text_summary"][1].tensor.string_val == [b"hello"]
    sub = _events(tmp_path / "run_a")
    assert sub[0].summary.value[0].tag == "run" and sub[0].step == 8


def test_bad_input_errors(tmp_path):
    pytest.importorskip("tensorboard")
    from clgrad.utils.tensorboard import SummaryWriter
    w = SummaryWriter(str(tmp_path))
    with pytest.raises(ValueError):
        w.add_scalar("x", clgrad.ones(2))
    with pytest.raises(ValueError):
        w.add_image("x", clgrad.ones(2, 2), dataformats="CHW")
    w.close()


def test_not_bound_by_import_clgrad():
    import subprocess
    import sys
    code = "import clgrad; print(hasattr(clgrad.utils, 'tensorboard'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
