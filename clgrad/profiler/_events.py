"""Recorded op events and their per-name averages (key_averages) with torch's table."""


class FunctionEvent:
    def __init__(self, name, start_us, end_us, input_shapes=None, device_us=0.0,
                 is_user=False):
        self.name = self.key = name
        self.start_us, self.end_us = start_us, end_us
        self.input_shapes = input_shapes or []
        self.device_time = device_us
        self.children = []
        self.is_user_annotation = is_user

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.children)

    @property
    def device_time_total(self):
        return self.device_time

    @property
    def self_device_time_total(self):
        return self.device_time - sum(c.device_time for c in self.children)


class FunctionEventAvg:
    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.device_time_total = self.self_device_time_total = 0.0

    def add(self, ev):
        self.count += 1
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        self.device_time_total += ev.device_time_total
        self.self_device_time_total += ev.self_device_time_total

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    @property
    def device_time(self):
        return self.device_time_total / max(self.count, 1)

    # The names PyTorch kept from before "device" replaced "cuda".
    cuda_time_total = property(lambda self: self.device_time_total)
    self_cuda_time_total = property(lambda self: self.self_device_time_total)
    cuda_time = property(lambda self: self.device_time)

    def __repr__(self):
        return ("<FunctionEventAvg key=%s self_cpu_time=%s cpu_time=%s count=%d>"
                % (self.key, _fmt(self.self_cpu_time_total), _fmt(self.cpu_time_total),
                   self.count))


def _fmt(us):
    if us >= 1e6:
        return "%.3fs" % (us / 1e6)
    if us >= 1e3:
        return "%.3fms" % (us / 1e3)
    return "%.3fus" % us


def _pct(part, whole):
    return "%.2f%%" % (100.0 * part / whole if whole else 0.0)


class EventList(list):
    def __init__(self, items=(), with_device=False, self_total=None):
        super().__init__(items)
        self._with_device = with_device
        self._self_total = self_total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75,
              max_name_column_width=55, max_shapes_column_width=80, header=None,
              top_level_events_only=False):
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        self_total = (self._self_total if self._self_total is not None
                      else sum(e.self_cpu_time_total for e in self))
        dev_total = sum(e.self_device_time_total for e in self)
        shapes = any(getattr(e, "input_shapes", None) for e in rows)
        names = [e.key if len(e.key) <= max_name_column_width
                 else e.key[:max_name_column_width - 3] + "..." for e in rows]
        name_w = max([len(n) for n in names] + [len("Name")]) + 4
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        if self._with_device:
            cols += ["Self CL", "Self CL %", "CL total", "CL time avg"]
        cols.append("# of Calls")
        w = 12
        widths = [name_w] + [w] * len(cols)
        if shapes:
            shape_w = min(max_shapes_column_width,
                          max(len(str(e.input_shapes)) for e in rows) + 2)
            widths.append(shape_w)
        sep = "  ".join("-" * x for x in widths) + "  "

        def line(cells):
            out = [cells[0].rjust(widths[0])]
            out += [c.rjust(x) for c, x in zip(cells[1:], widths[1:])]
            return "  ".join(out) + "  "
        head = ["Name"] + cols + (["Input Shapes"] if shapes else [])
        lines = ([header] if header else []) + [sep, line(head), sep]
        for name, e in zip(names, rows):
            cells = [name, _pct(e.self_cpu_time_total, self_total), _fmt(e.self_cpu_time_total),
                     _pct(e.cpu_time_total, self_total), _fmt(e.cpu_time_total),
                     _fmt(e.cpu_time)]
            if self._with_device:
                cells += [_fmt(e.self_device_time_total),
                          _pct(e.self_device_time_total, dev_total),
                          _fmt(e.device_time_total), _fmt(e.device_time)]
            cells.append(str(e.count))
            if shapes:
                cells.append(str(e.input_shapes)[:widths[-1]])
            lines.append(line(cells))
        lines.append(sep)
        lines.append("Self CPU time total: %s" % _fmt(self_total))
        if self._with_device:
            lines.append("Self CL time total: %s" % _fmt(dev_total))
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.table()
