"""hls4ml's table entries as its C++ computes them (``fpgalab.sim.hls4ml_tables`` says which tables).

Each entry is hls4ml's ``init_*_table`` value at the bin's left edge, in float32 with the C
library's ``expf``/``tanhf`` when it can be loaded (what hls4ml's g++ build calls), else float64
rounded to float32.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np


@functools.lru_cache(maxsize=1)
def _libm():
    name = ctypes.util.find_library("m")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    functions = {}
    for fn in ("expf", "tanhf"):
        f = getattr(lib, fn)
        f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
        functions[fn] = f
    return functions


def _float32_function(name: str, x: np.ndarray) -> np.ndarray:
    """``expf``/``tanhf`` of float32 ``x`` as C++ computes them (the C library's, when loadable)."""
    lib = _libm()
    x = np.asarray(x, dtype=np.float32)
    if lib is not None:
        f = lib[name]
        return np.array([f(float(v)) for v in x], dtype=np.float32)
    wide = np.exp(x.astype(np.float64)) if name == "expf" else np.tanh(x.astype(np.float64))
    return wide.astype(np.float32)


def hls4ml_entries(spec) -> np.ndarray:
    """The float values of ``spec``'s entries (float32 results, as float64), at the bins' left edges."""
    f32 = np.float32
    x = (spec.lo + np.arange(spec.size, dtype=np.float64) * spec.step).astype(f32)  # exact: dyadic
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if spec.function == "sigmoid":  # float sigmoid_fcn_float(float x) { return 1.0 / (1 + std::exp(-x)); }
            total = f32(1) + _float32_function("expf", -x)
            values = (1.0 / total.astype(np.float64)).astype(f32)
        elif spec.function == "tanh":
            values = _float32_function("tanhf", x)
        elif spec.function == "expm1":  # float elu_fcn_float(float x) { return std::exp(x) - 1.; }
            values = (_float32_function("expf", x).astype(np.float64) - 1.0).astype(f32)
        elif spec.function == "exp":
            values = _float32_function("expf", x)
        elif spec.function == "reciprocal":  # inv_table_t inv_x = 1 / x (float)
            values = f32(1) / x
        else:
            raise ValueError(f"hls4ml has no {spec.function} table; its tables: sigmoid, tanh, expm1, exp, reciprocal")
    return values.astype(np.float64)
