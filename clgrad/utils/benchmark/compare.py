"""Compare: a table of Measurements, rows by sub_label, columns by description."""
from .common import Measurement, _unit


class Compare:
    def __init__(self, results):
        self._results = list(results)

    def __str__(self):
        ms = Measurement.merge(self._results)
        out = []
        labels = []
        for m in ms:
            if m.task_spec.label not in labels:
                labels.append(m.task_spec.label)
        for label in labels:
            group = [m for m in ms if m.task_spec.label == label]
            unit, scale = _unit(min(m.median for m in group))
            cols = []
            rows = []
            for m in group:
                if m.task_spec.description not in cols:
                    cols.append(m.task_spec.description)
                row = m.task_spec.sub_label or m.task_spec.stmt
                if row not in rows:
                    rows.append(row)
            cells = {(m.task_spec.sub_label or m.task_spec.stmt, m.task_spec.description):
                     "%.1f" % (m.median / scale) for m in group}
            w0 = max(len(r) for r in rows) + 2
            ws = [max(len(str(c or "")), max(len(cells.get((r, c), "")) for r in rows)) + 2
                  for c in cols]
            header = " " * w0 + "|" + "|".join(str(c or "").center(w) for c, w in zip(cols, ws))
            title = " %s " % (label or "")
            out.append("[" + title.center(len(header) - 2, "-") + "]")
            out.append(header)
            threads = group[0].task_spec.num_threads
            out.append(("%d threads: " % threads).ljust(len(header), "-"))
            for r in rows:
                out.append(r.rjust(w0 - 2) + "  |" + "|".join(
                    cells.get((r, c), "").center(w) for c, w in zip(cols, ws)))
            out.append("")
        names = {"ns": "nanoseconds", "us": "microseconds", "ms": "milliseconds", "s": "seconds"}
        out.append("Times are in %s (%s)." % (names[unit], unit))
        return "\n".join(out) + "\n"

    def print(self):
        print(str(self))
