"""OpenCL C kernel templates (*.cl.mako), installed as the package clgrad.kernels."""
