"""SummaryWriter: writes event files TensorBoard reads (scalars, histograms, images, text)."""
import io
import os
import socket
import time
from datetime import datetime

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.summary.writer.event_file_writer import EventFileWriter


def _numpy(x):
    """numpy array of a Tensor (any device), array, list or number."""
    if hasattr(x, "detach") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _scalar(x):
    arr = _numpy(x)
    if arr.size != 1:
        raise ValueError("scalar should be 0D, got an array of shape %s" % (arr.shape,))
    return float(arr.reshape(()))


def _tensorflow_bucket_edges():
    """TensorFlow's default histogram buckets: 1e-12 growing by 10%, mirrored around 0."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos = np.array(pos)
    return np.concatenate([[-np.finfo(np.float64).max], -pos[::-1], [0.0], pos,
                           [np.finfo(np.float64).max]])


def _histogram(values, bins, max_bins):
    values = _numpy(values).astype(np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("The input has no element.")
    edges = _tensorflow_bucket_edges() if bins == "tensorflow" else bins
    counts, limits = np.histogram(values, bins=edges)
    if max_bins is not None and len(counts) > max_bins:
        # Merge neighbouring buckets so that at most max_bins remain.
        k = -(-len(counts) // max_bins)
        pad = (-len(counts)) % k
        counts = np.pad(counts, (0, pad)).reshape(-1, k).sum(axis=1)
        limits = np.concatenate([limits[:-1][::k], limits[-1:]])
    nz = np.nonzero(counts)[0]
    lo, hi = (nz[0], nz[-1] + 1) if len(nz) else (0, len(counts))
    return HistogramProto(min=values.min(), max=values.max(), num=values.size,
                          sum=values.sum(), sum_squares=(values * values).sum(),
                          bucket_limit=limits[1:][lo:hi].tolist(),
                          bucket=counts[lo:hi].astype(np.float64).tolist())


def _image(img, dataformats):
    arr = _numpy(img)
    fmt = dataformats.upper()
    if len(fmt) != arr.ndim:
        raise ValueError("size of input tensor and input format are different. tensor shape: "
                         "%s, input_format: %s" % (arr.shape, dataformats))
    if fmt == "HW":
        arr = arr[:, :, None]
    elif fmt == "CHW":
        arr = arr.transpose(1, 2, 0)
    elif fmt != "HWC":
        raise ValueError("dataformats must be one of CHW, HWC or HW, got %s" % dataformats)
    if arr.shape[2] == 1:
        arr = np.concatenate([arr] * 3, axis=2)
    # Float images are in [0, 1] (as PyTorch's); integer images are already 0..255.
    scale = 255.0 if np.issubdtype(arr.dtype, np.floating) else 1.0
    arr = np.clip(arr * scale, 0, 255).astype(np.uint8)
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("add_image needs Pillow: pip install pillow") from exc
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    h, w, c = arr.shape
    return Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=buf.getvalue())


class SummaryWriter:
    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10,
                 flush_secs=120, filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self._make_writer(self.log_dir)
        self.all_writers = {self.log_dir: self.file_writer}
        self.default_bins = "tensorflow"

    def _make_writer(self, logdir):
        w = EventFileWriter(logdir, self.max_queue, self.flush_secs, self.filename_suffix)
        if self.purge_step is not None:
            # Tell TensorBoard to drop events at and after purge_step from an earlier run.
            w.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
            w.add_event(Event(step=self.purge_step,
                              session_log=SessionLog(status=SessionLog.START)))
        return w

    def get_logdir(self):
        return self.log_dir

    def _add(self, summary, global_step, walltime, writer=None):
        event = Event(summary=summary, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        (writer or self.file_writer).add_event(event)

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        value = _scalar(scalar_value)
        if new_style:
            dtype = "DT_DOUBLE" if double_precision else "DT_FLOAT"
            tensor = TensorProto(dtype=dtype, tensor_shape=TensorShapeProto())
            if double_precision:
                tensor.double_val.append(value)
            else:
                tensor.float_val.append(value)
            meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
            summary = Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=meta)])
        else:
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=value)])
        self._add(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Each key goes to its own run, log_dir/<main_tag>_<key>, under the tag main_tag."""
        walltime = time.time() if walltime is None else walltime
        for key, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + key)
            if path not in self.all_writers:
                self.all_writers[path] = self._make_writer(path)
            summary = Summary(value=[Summary.Value(tag=main_tag, simple_value=_scalar(value))])
            self._add(summary, global_step, walltime, self.all_writers[path])

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        hist = _histogram(values, bins, max_bins)
        self._add(Summary(value=[Summary.Value(tag=tag, histo=hist)]), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        image = _image(img_tensor, dataformats)
        self._add(Summary(value=[Summary.Value(tag=tag, image=image)]), global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
        tensor = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                             tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
        summary = Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta,
                                               tensor=tensor)])
        self._add(summary, global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        raise NotImplementedError(
            "SummaryWriter.add_graph is not supported by clgrad: it needs PyTorch's JIT "
            "tracer; log the model's repr with add_text instead")

    def flush(self):
        for w in self.all_writers.values():
            w.flush()

    def close(self):
        for w in self.all_writers.values():
            w.flush()
            w.close()
        self.all_writers = {}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
