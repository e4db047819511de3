"""The operator cost library: what one hardware operator takes on a part, each figure with its source.

    operators.py     adders, comparators, muxes, registers, multipliers (DSP or LUT), MACs, control
    memory.py        RAMs, ROMs, FIFOs, function tables, and where a memory goes when nobody says
    floats.py        float32 operators (vendor IP)
    yosys_rules.py   how Yosys maps multipliers and memories (``flow="yosys"``)
    CALIBRATION.md   the Yosys runs the formulas were checked against (``bench/calibrate_costs.py``)

The schedule uses it to bind memories (``auto_storage``); ``fpgalab.estimate`` adds up a design.
"""

from fpgalab.costs.floats import FLOAT_OPS, float_op, float_operator
from fpgalab.costs.memory import STORAGES, auto_storage, fifo, memory, rom, table_lookup, table_rom
from fpgalab.costs.operators import (
    FLOWS,
    Cost,
    Resources,
    adder,
    comparator,
    control,
    fsm,
    loop_counter,
    mac,
    multiplier,
    mux,
    mux_luts_per_bit,
    register,
    soft_multiplier_luts,
    subtractor,
)

__all__ = [
    "Cost",
    "Resources",
    "adder",
    "subtractor",
    "comparator",
    "mux",
    "register",
    "multiplier",
    "mac",
    "memory",
    "auto_storage",
    "rom",
    "fifo",
    "table_rom",
    "table_lookup",
    "float_op",
    "float_operator",
    "loop_counter",
    "fsm",
    "control",
    "soft_multiplier_luts",
    "mux_luts_per_bit",
    "FLOWS",
    "FLOAT_OPS",
    "STORAGES",
]
