"""Measurement: the times of a Timer run and their summary statistics."""
import statistics


def _unit(seconds):
    """(unit name, scale) for printing a time, as torch.utils.benchmark picks them."""
    for name, scale in (("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3)):
        if seconds < scale * 1000:
            return name, scale
    return "s", 1.0


class TaskSpec:
    """What was timed: statement, setup and the labels Compare groups by."""

    def __init__(self, stmt, setup, global_setup="", label=None, sub_label=None,
                 description=None, env=None, num_threads=1):
        self.stmt, self.setup, self.global_setup = stmt, setup, global_setup
        self.label, self.sub_label, self.description = label, sub_label, description
        self.env, self.num_threads = env, num_threads

    @property
    def title(self):
        if self.label is not None:
            return self.label + (": " + self.sub_label if self.sub_label else "")
        return self.stmt


class Measurement:
    """raw_times are per block of number_per_run runs; times are per run."""

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.task_spec = task_spec
        self.metadata = metadata

    def __getattr__(self, name):
        # stmt, setup, label, ... are the task spec's (as in torch).
        if name != "task_spec" and name in ("stmt", "setup", "global_setup", "label",
                                            "sub_label", "description", "env", "num_threads",
                                            "title"):
            return getattr(self.task_spec, name)
        raise AttributeError(name)

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self):
        return statistics.mean(self.times)

    @property
    def median(self):
        return statistics.median(self.times)

    def _quantile(self, q):
        ts = sorted(self.times)
        pos = q * (len(ts) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(ts) - 1)
        return ts[lo] + (ts[hi] - ts[lo]) * (pos - lo)

    @property
    def iqr(self):
        return self._quantile(0.75) - self._quantile(0.25)

    @property
    def has_warnings(self):
        return len(self.times) >= 3 and self.iqr / self.median > 0.1

    def meets_confidence(self, threshold=0.1):
        return self.iqr / self.median < threshold

    @staticmethod
    def merge(measurements):
        """One Measurement per task spec, pooling the times of equal specs."""
        groups = {}
        for m in measurements:
            key = tuple(sorted(vars(m.task_spec).items(), key=lambda kv: kv[0]))
            groups.setdefault(key, []).append(m)
        out = []
        for ms in groups.values():
            raw = [t * ms[0].number_per_run for m in ms for t in m.times]
            out.append(Measurement(ms[0].number_per_run, raw, ms[0].task_spec))
        return out

    def __repr__(self):
        spec = self.task_spec
        unit, scale = _unit(self.median)
        lines = [object.__repr__(self), spec.title]
        if spec.description:
            lines.append(spec.description)
        if spec.setup and spec.setup != "pass":
            lines.append("setup: " + spec.setup)
        n = len(self.times)
        threads = "%d thread%s" % (spec.num_threads, "s" if spec.num_threads > 1 else "")
        if n == 1:
            lines.append("  %.2f %s" % (self.median / scale, unit))
            lines.append("  1 measurement, %d runs , %s" % (self.number_per_run, threads))
        else:
            lines.append("  Median: %.2f %s" % (self.median / scale, unit))
            if n >= 4:
                lines.append("  IQR:    %.2f %s (%.2f to %.2f)" % (
                    self.iqr / scale, unit, self._quantile(0.25) / scale,
                    self._quantile(0.75) / scale))
            lines.append("  %d measurements, %d runs per measurement, %s"
                         % (n, self.number_per_run, threads))
            if self.has_warnings:
                lines.append("  WARNING: Interquartile range is %.1f%% of the median "
                             "measurement.\n           This could indicate system fluctuation."
                             % (100 * self.iqr / self.median))
        return "\n".join(lines)
