"""The Lookup node (an Embedding's ROM read addressed by ids), without TensorFlow: the simulator
clamps ids as XLA's gather does, precision gives it the table's type, the schedule prices the
clamp and the ROM read, and the kernel survives JSON."""

from __future__ import annotations

import numpy as np

from fpgalab.design import build_design
from fpgalab.ir import nodes as ir
from fpgalab.ir.serialize import kernel_from_dict, kernel_to_dict
from fpgalab.ir.types import FixedType, integer_type
from fpgalab.options import parse_options
from fpgalab.sim.functional import run_kernel

TABLE = np.arange(12, dtype=np.float32).reshape(4, 3) / 4


def _kernel() -> ir.Kernel:
    ids = ir.Input("ids", (1, 5), integer_type(32), integer=True)
    table = ir.Constant("table", (4, 3), TABLE)
    node = ir.Lookup("rows", ("table", "ids"), (1, 5, 3))
    return ir.Kernel("lookup", (ids,), (table,), (node,), ("rows",))


def test_ids_outside_the_table_read_its_nearest_row():
    ids = np.array([[[0, 3, -1, 7, 2]]])
    out = run_kernel(_kernel(), [ids])["rows"].array
    np.testing.assert_array_equal(out[0, 0], TABLE[[0, 3, 0, 3, 2]])


def test_fixed_point_design_reads_the_table_in_its_weight_type():
    design = build_design("lookup", _kernel(), parse_options(precision="ap_fixed<10,4>"), [(1, 5)])
    node = design.kernel.node("rows")
    assert node.dtype == design.kernel.buffers()["table"].dtype == FixedType(10, 4)
    assert design.kernel.inputs[0].dtype == FixedType(32, 32)
    np.testing.assert_array_equal(design.simulate(np.array([[3, 1, 0, 2, 9]]))[0], TABLE[[3, 1, 0, 2, 3]])
    layer = design.schedule.layer("rows")
    assert [op.kind for op in layer.operators] == ["minmax"]  # the clamp; the ROM is the constant's storage
    assert layer.depth >= 3  # the id read, the clamp, then the table read


def test_lookup_kernels_survive_json():
    kernel = _kernel()
    again = kernel_from_dict(kernel_to_dict(kernel))
    assert again.nodes == kernel.nodes and again.inputs == kernel.inputs
