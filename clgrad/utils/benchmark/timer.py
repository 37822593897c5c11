"""Timer: times a statement like timeit, synchronising OpenCL devices around each block."""
import enum
import textwrap
import time
import timeit

from .common import Measurement, TaskSpec


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


def _synchronize():
    """Finish every queue clgrad has created, so queued kernels count in the time."""
    from clgrad import cl
    try:
        if cl.is_available():
            for i in range(cl.device_count()):
                cl.synchronize(i)
    except RuntimeError:
        pass


def timer():
    _synchronize()
    return time.perf_counter()


class Timer:
    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1,
                 language=Language.PYTHON):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in (Language.PYTHON, "py", "python"):
            raise ValueError("clgrad.utils.benchmark.Timer times Python statements only")
        self._globals = dict(globals or {})
        stmt = textwrap.dedent(stmt).strip() or "pass"
        setup = textwrap.dedent(setup).strip() or "pass"
        if global_setup:
            setup = textwrap.dedent(global_setup).strip() + "\n" + setup
        self._task_spec = TaskSpec(stmt, setup, global_setup, label, sub_label, description,
                                   env, num_threads)
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._num_threads = num_threads

    def _time(self, number):
        return self._timer.timeit(number)

    def timeit(self, number=1000000):
        self._time(max(int(number // 100), 2))  # warm up (kernel builds, caches)
        return Measurement(number, [self._time(number)], self._task_spec)

    def _block_size(self, min_run_time):
        """Runs per block: the smallest power of ten whose block takes 1 ms or more."""
        self._time(1)  # the first run builds kernels and fills caches: not representative
        number = 1
        while True:
            if self._time(number) >= min(1e-3, min_run_time / 10) or number >= 10 ** 9:
                return number
            number *= 10

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        number = self._block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time or not times:
            t = self._time(number)
            if callback is not None:
                callback(number, t)
            times.append(t)
            total += t
        return Measurement(number, times, self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        number = self._block_size(min_run_time)
        times, total = [], 0.0
        while True:
            t = self._time(number)
            if callback is not None:
                callback(number, t)
            times.append(t)
            total += t
            m = Measurement(number, times, self._task_spec)
            if len(times) > 3 and total >= min_run_time and m.meets_confidence(threshold):
                return m
            if total >= max_run_time:
                return m
