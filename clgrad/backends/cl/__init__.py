"""The pyopencl backend (imported only when a cl device is used)."""
