"""``@fpgalab.kernel``: mark a function with its input signature and compile options."""

from __future__ import annotations

import functools

import numpy as np


def _examples(input_signature):
    """Zero example inputs from shapes or TensorSpecs (the batch dimension must be fixed)."""
    examples = []
    for spec in input_signature:
        shape = getattr(spec, "shape", spec)
        dims = list(shape.as_list() if hasattr(shape, "as_list") else shape)
        if any(d is None or (isinstance(d, int) and d < 1) for d in dims):
            raise ValueError(
                f"input_signature shape {dims} has an unknown or empty dimension; FPGA designs need "
                "static shapes, e.g. (1, 64)"
            )
        examples.append(np.zeros(dims, dtype=np.float32))
    return tuple(examples)


def kernel(function=None, *, input_signature=None, **options):
    """Decorator: ``@fpgalab.kernel(input_signature=[(1, 64)], precision="ap_fixed<16,6>")``.

    The function still runs as before; ``fpgalab.compile(f)`` (and the ``%%fpga`` magic) then
    needs no example inputs and uses these options unless told otherwise.
    """
    from fpgalab.options import parse_options  # noqa: PLC0415

    parse_options(**options)  # a bad option fails at decoration time, where it was written
    examples = _examples(input_signature) if input_signature is not None else None

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)

        wrapper.__fpgalab_options__ = {"function": fn, "options": dict(options), "example_args": examples}
        return wrapper

    return decorate(function) if function is not None else decorate
