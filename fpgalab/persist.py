"""A design as a JSON document (``Design.to_json`` / ``Design.from_json``), and the checks a loaded one passes.

A design read back must be as safe to simulate as a compiled one: the document is validated as a
whole (format version, fields and their types, shapes positive, bounded and consistent with the
weights and the nodes) and anything else is one ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import json

import numpy as np

from fpgalab.ir.serialize import kernel_from_dict, kernel_to_dict
from fpgalab.ir.verify import IRError, verify_kernel
from fpgalab.options import parse_options

JSON_VERSION = 1
MAX_ELEMENTS = 1 << 28  # the most elements a buffer of a loaded design may have


def design_document(design) -> str:
    """The JSON text of a ``fpgalab.design.Design``."""
    return json.dumps(
        {
            "fpgalab_design": JSON_VERSION,
            "name": design.name,
            "options": design.options.to_dict(),
            "example_shapes": [list(s) for s in design.example_shapes],
            "hlo_text": design.hlo_text,
            "kernel": kernel_to_dict(design.kernel),
            "float_kernel": kernel_to_dict(design.float_kernel),
            "timings": [list(t) for t in design.timings],
        }
    )


def read_design_document(text: str) -> tuple:
    """The fields of a ``Design`` (name, kernel, float kernel, options, example shapes, HLO text,
    timings) from ``design_document``'s text; ``ValueError`` for bad JSON, another format version,
    missing or mistyped fields, and shapes that are not positive, too large, or inconsistent with
    the weights and the nodes."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError, TypeError) as err:
        raise ValueError(f"not a design: invalid JSON ({str(err)[:200]})") from None
    if not isinstance(data, dict) or data.get("fpgalab_design") != JSON_VERSION:
        raise ValueError(f"not an fpgalab design of format version {JSON_VERSION}")
    try:
        shapes = tuple(_shape(s, "example shape") for s in data["example_shapes"])
        kernel = verify_kernel(kernel_from_dict(data["kernel"]))
        float_kernel = verify_kernel(kernel_from_dict(data["float_kernel"]))
        for k in (kernel, float_kernel):
            for buf in k.buffers().values():
                _shape(buf.shape, f"buffer {buf.name}")
        if shapes != tuple(tuple(i.shape) for i in kernel.inputs):
            raise ValueError(
                f"example shapes {list(shapes)} do not match the kernel's inputs "
                f"{[list(i.shape) for i in kernel.inputs]}"
            )
        return (
            str(data["name"]),
            kernel,
            float_kernel,
            parse_options(**data["options"]),
            shapes,
            str(data.get("hlo_text", "")),
            tuple((str(s), float(t)) for s, t in data.get("timings", ())),
        )
    except (ValueError, IRError) as err:
        raise ValueError(f"not a valid fpgalab design: {err}") from None
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as err:
        what = f"missing field {err}" if isinstance(err, KeyError) else f"{type(err).__name__}: {str(err)[:200]}"
        raise ValueError(f"not a valid fpgalab design: {what}") from None


def _shape(shape, what: str) -> tuple[int, ...]:
    if not isinstance(shape, (list, tuple)) or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
        raise ValueError(f"{what} must be a list of integers, got {shape!r}"[:300])
    if any(d < 1 for d in shape):
        raise ValueError(f"{what} {list(shape)} has a dimension below 1")
    if int(np.prod(shape, dtype=np.float64)) > MAX_ELEMENTS:
        raise ValueError(f"{what} {list(shape)} has more than {MAX_ELEMENTS:,} elements")
    return tuple(shape)
