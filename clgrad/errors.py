"""Exception types clgrad raises beyond Python's own."""


class OutOfMemoryError(RuntimeError):
    """A device allocation failed even after the memory pool released what it held."""


class KernelBuildError(RuntimeError):
    """An OpenCL program failed to build; carries the build log and the rendered source."""

    def __init__(self, message: str, log: str, source: str):
        super().__init__(f"{message}\n--- build log ---\n{log}\n--- source ---\n{source}")
        self.log = log
        self.source = source
