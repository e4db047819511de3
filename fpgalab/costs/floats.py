"""Floating-point (binary32) operator costs: the cores an HLS tool instantiates for float
arithmetic. Part of ``fpgalab.costs.operators`` (import them from there).

The Xilinx figures are those of the PG060 Floating-Point Operator cores in the configuration
Vitis HLS binds by default; only the UltraScale+ adder is a measured report figure, the rest
are typical instance figures from Vivado HLS reports on 7-series and should be checked against
a real Vitis run before they are trusted to better than ~30%.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.costs.operators import Cost, _cost, _lut4, _vendor, mux
from fpgalab.parts import Device


@dataclass(frozen=True)
class FloatCore:
    lut: float
    ff: float
    dsp: float
    source: str


_PG060 = "Xilinx PG060 Floating-Point Operator v7.1"
_HLS7 = "Vivado HLS instance figures on 7-series, typical (not verified by fpgalab)"
# Single precision, the implementations Vitis HLS binds by default (fadd full_dsp, fmul max_dsp,
# the rest fabric); latencies are in the device files.
XILINX_FLOAT = {
    "add": FloatCore(390, 205, 2, f"{_PG060} full DSP usage; fadd_32ns_32ns_32_5_full_dsp, {_HLS7}"),
    "mul": FloatCore(321, 143, 3, f"{_PG060} max DSP usage; fmul_32ns_32ns_32_4_max_dsp, {_HLS7}"),
    "div": FloatCore(994, 761, 0, f"{_PG060} no DSP; fdiv_32ns_32ns_32_16_no_dsp, {_HLS7}"),
    "sqrt": FloatCore(600, 460, 0, f"{_PG060} no DSP; fsqrt, {_HLS7}"),
    "exp": FloatCore(900, 300, 7, f"{_PG060} exponential, full DSP usage; fexp, {_HLS7}"),
    "cmp": FloatCore(239, 66, 0, f"{_PG060} compare; fcmp_32ns_32ns_1_2_no_dsp, {_HLS7}"),
    "int_to_float": FloatCore(554, 340, 0, f"{_PG060} fixed-to-float; sitofp_32ns_32_6_no_dsp, {_HLS7}"),
    "float_to_int": FloatCore(250, 130, 0, f"{_PG060} float-to-fixed; fptosi, {_HLS7}"),
}
# Measured: fadd_32ns_32ns_32_3_full_dsp_1 in a public Vitis HLS csynth report on an Alveo
# (Virtex UltraScale+) part: 2 DSP, 177 FF, 226 LUT.
XILINX_ULTRASCALE_ADD = FloatCore(
    226, 177, 2, "Vitis HLS csynth report, fadd_32ns_32ns_32_3_full_dsp_1 on Virtex UltraScale+ (a public report)"
)
# Measured: fadd_32ns_32ns_32_5_no_dsp_1 in a public Vitis HLS csynth report: 0 DSP, 243 FF, 338 LUT.
# The adder of parts without a DSP-assisted float core (a soft core in fabric).
FABRIC_ADD = FloatCore(338, 243, 0, "Vitis HLS csynth report, fadd_32ns_32ns_32_5_no_dsp_1 (a public report)")
FLOAT_ALIASES = {
    "sub": "add",
    "convert": "float_to_int",
    "sitofp": "int_to_float",
    "fptosi": "float_to_int",
    "tanh": "exp",
    "logistic": "exp",
    "sigmoid": "exp",
    # the other transcendental functions, priced like the exp core (a PG060 range reduction and
    # polynomial of the same size; PG060 has a log core of about exp's size)
    "expm1": "exp",
    "log": "exp",
    "log1p": "exp",
    "erf": "exp",
    # floor, ceil and round to an integral float: the rounding stage of a float-to-fixed converter
    "round": "float_to_int",
}
FLOAT_OPS = tuple(XILINX_FLOAT) + tuple(FLOAT_ALIASES) + ("minmax", "neg", "abs", "mux")
LUT4_PER_LUT6 = 2.3  # soft multiplier calibration: 5.6 / 2.4 LUT4 per LUT6


def float_op(kind: str, device: Device) -> Cost:
    """A binary32 operator: add/sub, mul, div, sqrt, exp, cmp, int_to_float, float_to_int (and
    minmax = cmp + 32-bit 2:1 mux, neg/abs = 1 LUT on the sign bit, mux = 32-bit 2:1 mux).

    Xilinx: the PG060 core Vitis HLS instantiates (table ``XILINX_FLOAT``, each entry with its
    source; the UltraScale+ adder is measured). Intel Stratix 10: add and mul in one DSP block's
    hard IEEE-754 mode (Stratix 10 Variable Precision DSP UG), the others typical. Other parts,
    typical: the Xilinx fabric figures (the no-DSP adder for add; x 2.3 on LUT4 parts, from the
    soft multiplier calibration), each DSP48 of the Xilinx core priced as an 18x18 multiply
    (``device.dsps_for_multiply(18, 18)``), the multiply's 24x24 mantissa product by
    ``device.dsps_for_multiply(24, 24)``.
    Source: Xilinx PG060; Intel UG-S10-DSP; see the table entries.
    """
    kind = FLOAT_ALIASES.get(kind, kind)
    if kind == "neg" or kind == "abs":
        return _cost(f"float {kind}: 1 LUT on the sign bit", lut=1)
    if kind == "mux":
        return Cost(mux(32, 2, device).resources, "float select: 32-bit 2:1 mux")
    if kind == "minmax":
        cmp, sel = float_op("cmp", device), mux(32, 2, device)
        return Cost(cmp.resources + sel.resources, f"float min/max: {cmp.formula} + {sel.formula}")
    if kind not in XILINX_FLOAT:
        raise ValueError(f"no floating-point cost for {kind!r}; known: {', '.join(FLOAT_OPS)}")
    core = XILINX_FLOAT[kind]
    vendor = _vendor(device)
    if vendor == "xilinx":
        if kind == "add" and device.dsp.kind == "DSP48E2":
            core = XILINX_ULTRASCALE_ADD
        return _cost(
            f"float {kind}: {core.lut:g} LUT, {core.ff:g} FF, {core.dsp:g} DSP ({core.source})",
            lut=core.lut,
            ff=core.ff,
            dsp=core.dsp,
        )
    if vendor == "intel" and kind in ("add", "mul") and "variable-precision" in device.dsp.kind:
        return _cost(f"float {kind}: 1 DSP block in IEEE-754 single-precision mode (Stratix 10 DSP UG)", dsp=1)
    if kind == "add":
        core = FABRIC_ADD
    scale = LUT4_PER_LUT6 if _lut4(device) else 1.0
    dsp = (
        device.dsps_for_multiply(24, 24, False) if kind == "mul" else core.dsp * device.dsps_for_multiply(18, 18, True)
    )
    lut, ff = round(core.lut * scale), core.ff
    return _cost(
        f"float {kind}: {lut} LUT, {ff:g} FF, {dsp:g} DSP (typical soft core: Xilinx PG060 figures"
        f"{' x 2.3 LUT4/LUT6' if scale != 1 else ''})",
        lut=lut,
        ff=ff,
        dsp=dsp,
    )


float_operator = float_op  # the name fpgalab.estimate.resources uses
