"""The HLS C++ backend: a Vitis HLS project (kernel, weights, C testbench, scripts) for a design."""
