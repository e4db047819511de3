"""Operator costs: the LUT, FF, DSP, BRAM and URAM one hardware operator takes on a part.

Every function takes operand widths (and the ``Device``) and returns a :class:`Cost`: the
:class:`Resources` and the formula with its numbers filled in, so a report can show where each
figure comes from. Every docstring names its source after ``Source:``: a data sheet, a user
guide, or a Yosys synthesis run (``bench/calibrate_costs.py`` reruns them and writes
``fpgalab/costs/CALIBRATION.md``, the table of calibration runs).

Units are the part's own: LUTs as its vendor counts them (Xilinx LUT6, Intel ALUT, Lattice LUT4:
an ECP5 CCU2C carry slice is 2 LUT4), DSPs in ``device.dsp.unit``, BRAM in
``device.bram_block.kind`` (RAMB18 on Xilinx: a RAMB36 counts 2).

``flow`` picks whose mapping rules a multiply follows: "hls" (Vitis HLS + Vivado, the default:
``device.mul_lut_threshold``, DSP cascades and post-adders) or "yosys" (what ``synth_xilinx`` /
``synth_ecp5`` of the generated Verilog gives, see ``yosys_rules``), which the fidelity check
compares against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab.costs import yosys_rules
from fpgalab.parts import Device, yosys_family

RESOURCE_FIELDS = ("lut", "ff", "dsp", "bram", "uram")


@dataclass(frozen=True)
class Resources:
    """LUT, FF, DSP, BRAM and URAM counts in the part's own units (fractions allowed until
    ``rounded``: a Stratix 10 18x19 multiply is half a DSP block)."""

    lut: float = 0
    ff: float = 0
    dsp: float = 0
    bram: float = 0
    uram: float = 0

    def __add__(self, other):
        if isinstance(other, Cost):
            other = other.resources
        if not isinstance(other, Resources):
            return NotImplemented
        return Resources(*(getattr(self, k) + getattr(other, k) for k in RESOURCE_FIELDS))

    def __radd__(self, other):
        if other == 0:  # sum() starts from 0
            return self
        return self.__add__(other)

    def __mul__(self, factor):
        if not isinstance(factor, (int, float)) or isinstance(factor, bool):
            return NotImplemented
        return Resources(*(getattr(self, k) * factor for k in RESOURCE_FIELDS))

    __rmul__ = __mul__

    def scaled(self, factor: float) -> Resources:
        return self * factor

    def rounded(self) -> Resources:
        """Whole units: DSP, BRAM and URAM rounded up (half a block is a block), LUT and FF to
        the nearest integer."""

        def up(x: float) -> int:
            return math.ceil(x - 1e-9)

        return Resources(
            math.floor(self.lut + 0.5), math.floor(self.ff + 0.5), up(self.dsp), up(self.bram), up(self.uram)
        )

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in RESOURCE_FIELDS}

    def utilization(self, device: Device) -> dict[str, float]:
        """Fractions of the part's capacities: keys luts, ffs, dsps, bram (in the part's block
        unit, RAMB18 on Xilinx), uram (inf if URAM is used on a part without any)."""
        capacity = {
            "luts": (self.lut, device.luts),
            "ffs": (self.ff, device.ffs),
            "dsps": (self.dsp, device.dsps),
            "bram": (self.bram, device.bram),
            "uram": (self.uram, device.uram),
        }
        return {key: used / total if total else (math.inf if used else 0.0) for key, (used, total) in capacity.items()}


@dataclass(frozen=True)
class Cost:
    """What an operator costs and the formula, numbers filled in, that gave it. It reads like its
    ``Resources`` (``cost.lut``, ``cost + other``, ``cost * n``), so totals can mix the two."""

    resources: Resources
    formula: str

    lut = property(lambda self: self.resources.lut)
    ff = property(lambda self: self.resources.ff)
    dsp = property(lambda self: self.resources.dsp)
    bram = property(lambda self: self.resources.bram)
    uram = property(lambda self: self.resources.uram)

    def __add__(self, other):
        if isinstance(other, Cost):
            return Cost(self.resources + other.resources, f"{self.formula} + {other.formula}")
        if isinstance(other, Resources):
            return Cost(self.resources + other, self.formula)
        return NotImplemented

    def __radd__(self, other):
        if other == 0:
            return self
        return self.__add__(other)

    def __mul__(self, factor):
        if not isinstance(factor, (int, float)) or isinstance(factor, bool):
            return NotImplemented
        return Cost(self.resources * factor, f"{factor:g} x ({self.formula})")

    __rmul__ = __mul__


FLOWS = ("hls", "yosys")


def _lut4(device: Device) -> bool:
    return device.logic.lut_inputs < 6


def _vendor(device: Device) -> str:
    return device.vendor.split()[0].lower()  # "xilinx", "intel", "lattice"


def _check_width(*widths: int) -> None:
    for w in widths:
        if not isinstance(w, int) or isinstance(w, bool) or w < 1:
            raise ValueError(f"widths must be positive integers, got {widths!r}")


def _cost(formula: str, lut: float = 0, ff: float = 0, dsp: float = 0, bram: float = 0, uram: float = 0) -> Cost:
    return Cost(Resources(lut, ff, dsp, bram, uram), formula)


# ----------------------------------------------------------------------------- logic


def adder(width: int, device: Device) -> Cost:
    """A ``width``-bit ripple-carry adder on the carry chain: one LUT per bit.

    Source: Xilinx UG474 / UG574 (each bit's propagate in a LUT, CARRY4 / CARRY8 does the
    carries); Lattice FPGA-DS-02012 (CCU2C: 2 bits per slice = 2 LUT4); Intel Stratix 10 LAB UG
    (arithmetic mode: 2 bits per ALM = 1 per ALUT). Yosys runs add8/16/32: 8/16/32 LUT2 on xcup
    and xc7, 4/8/16 CCU2C on ecp5 (CALIBRATION.md).
    """
    _check_width(width)
    luts = 2 * math.ceil(width / 2) if _lut4(device) else width
    return _cost(f"{width}-bit add: {luts} LUT (carry chain, 1 LUT/bit)", lut=luts)


def subtractor(width: int, device: Device) -> Cost:
    """A ``width``-bit subtractor: an adder with the subtrahend inverted in the LUT, plus the
    carry-in. Source: as ``adder``; Yosys runs sub16/32: 17/33 LUT2 on xcup and xc7 (one LUT more
    than the add), 8/16 CCU2C on ecp5 (CALIBRATION.md).
    """
    _check_width(width)
    luts = 2 * math.ceil(width / 2) if _lut4(device) else width + (1 if _vendor(device) == "xilinx" else 0)
    return _cost(f"{width}-bit subtract: {luts} LUT (carry chain)", lut=luts)


def comparator(width: int, device: Device, kind: str = "lt") -> Cost:
    """A ``width``-bit magnitude (``kind="lt"``: <, <=, >, >=) or equality (``"eq"``) compare.

    Magnitude, LUT6: ceil(2w/3) LUTs (Yosys ``cmp2lcu`` folds 2 bit-pairs per LUT onto the carry
    chain, plus the chain's generate terms); LUT4: w (CCU2C). Equality, LUT6: ceil(w/2) +
    ceil(w/8); LUT4: ceil(w/2) + ceil(w/6) (XNOR pairs and an AND tree).
    Source: Yosys runs lt8/16/32 (6/12/22 LUT on xcup and xc7, 8/16/32 LUT4 on ecp5) and
    eq8/16/32 (5/9/21 LUT, 5/11/21 LUT4) (CALIBRATION.md).
    """
    _check_width(width)
    if kind == "lt":
        luts = width if _lut4(device) else math.ceil(2 * width / 3)
        return _cost(f"{width}-bit compare: {luts} LUT (carry chain)", lut=luts)
    if kind == "eq":
        luts = (
            math.ceil(width / 2) + math.ceil(width / 6)
            if _lut4(device)
            else math.ceil(width / 2) + math.ceil(width / 8)
        )
        return _cost(f"{width}-bit equality: {luts} LUT (XNOR pairs + AND tree)", lut=luts)
    raise ValueError(f"comparator kind must be 'lt' or 'eq', got {kind!r}")


def mux_luts_per_bit(inputs: int, device: Device) -> int:
    """LUTs per output bit of an ``inputs``:1 multiplexer. Source: see ``mux``."""
    if inputs <= 1:
        return 0
    if _lut4(device):
        return inputs - 1
    return 1 if inputs <= 4 else round(0.47 * (inputs - 1))


def mux(width: int, inputs: int, device: Device) -> Cost:
    """An ``inputs``:1 multiplexer of ``width`` bits.

    LUT6: one LUT per bit up to 4:1 (6 inputs: 4 data + 2 select), then about (n - 1) / 2 per bit
    (fitted: 0.47 (n - 1)); LUT4: n - 1 per bit (a LUT4 is one 2:1 mux; PFUMX/L6MUX21 help less
    than they could after ABC). Source: Yosys runs mux2/3/4/8/16/32 x 16 bits: 16, 16, 16, 48, 114,
    242 LUT on xcup and xc7; 16, 32, 64, 96, 336, 521 LUT4 on ecp5 (CALIBRATION.md).
    """
    _check_width(width)
    if inputs < 1:
        raise ValueError(f"a multiplexer needs at least one input, got {inputs}")
    per_bit = mux_luts_per_bit(inputs, device)
    return _cost(f"{inputs}:1 mux x {width} bits: {per_bit} LUT/bit = {per_bit * width} LUT", lut=per_bit * width)


def register(width: int, device: Device | None = None) -> Cost:
    """A ``width``-bit register: one flip-flop per bit (FDRE, TRELLIS_FF, ALM register).
    Source: Xilinx UG474 / UG574, Lattice FPGA-DS-02012; every Yosys calibration run counts one
    FDRE / TRELLIS_FF per registered bit (CALIBRATION.md)."""
    _check_width(width)
    return _cost(f"{width}-bit register: {width} FF", ff=width)


# ----------------------------------------------------------------------------- multipliers


def soft_multiplier_luts(w1: int, w2: int, signed: bool, device: Device) -> int:
    """LUTs of a ``w1 x w2`` array multiplier in fabric: k x (min(w) - 1) x max(w), at least
    max(w) (a 1-bit operand is an AND). k = 2.4 signed / 2.0 unsigned on LUT6, 5.6 / 4.9 on LUT4.
    Source: Yosys ``-nodsp`` runs of 4x4 ... 16x16 (CALIBRATION.md); (min - 1) rows of max-bit
    adders is the array multiplier's structure. Vivado's LUT multipliers are smaller."""
    k = (5.6 if signed else 4.9) if _lut4(device) else (2.4 if signed else 2.0)
    return max(max(w1, w2), round(k * (min(w1, w2) - 1) * max(w1, w2)))


def check_flow(flow: str) -> None:
    if flow not in FLOWS:
        raise ValueError(f"flow must be one of {FLOWS}, got {flow!r}")


def _yosys_rules(device: Device) -> yosys_rules.Mul2Dsp:
    family = yosys_family(device)
    if family is None:
        raise ValueError(f"no Yosys synthesis model for {device.name} ({device.dsp.kind}); use flow='hls'")
    return yosys_rules.MUL2DSP[family]


def _adder_luts(width: int, device: Device) -> int:
    return 2 * math.ceil(width / 2) if _lut4(device) else width


def multiplier(
    w1: int,
    w2: int,
    signed: bool | Device = True,
    device: Device | None = None,
    *,
    flow: str = "hls",
    product_width: int | None = None,
    pipeline_registers: bool = False,
) -> Cost:
    """A ``w1 x w2`` multiply (full product, or ``product_width`` bits of it).

    flow="hls": DSPs from ``device.dsps_for_multiply`` when ``device.multiply_uses_dsp``; Xilinx
    and Intel sum partial products in the DSP cascade (0 LUT), Lattice in fabric adders. Below the
    threshold, a LUT array multiplier (``soft_multiplier_luts``).
    flow="yosys": ``mul2dsp.v``'s decomposition (``yosys_rules.mul2dsp``): on Xilinx a product of
    at least 9 bits with operands of at least 2 bits goes to DSPs; fabric adders of width
    ``y - shift`` sum partial products unless DSP48E1's PCIN cascade absorbs them.
    ``pipeline_registers`` adds the input and output registers (w1 + w2 + product bits) that the
    DSP does not absorb (Vivado packs AREG/BREG/PREG; Yosys only on xc7).
    Source: Xilinx UG479 / UG579 (25x18 / 27x18 two's complement, cascade), Intel Stratix 10 DSP
    UG, Lattice TN1267; Yosys runs mul4 ... mul32, mulu16/18, mul16x32, mul3x5, mul4x5
    (CALIBRATION.md).
    """
    if isinstance(signed, Device):  # multiplier(w1, w2, device): the signed operands default
        signed, device = True, signed
    if device is None:
        raise TypeError("multiplier() needs a device")
    _check_width(w1, w2)
    check_flow(flow)
    y = product_width or w1 + w2
    kind = "signed" if signed else "unsigned"
    if flow == "yosys":
        split = yosys_rules.mul2dsp(w1, w2, signed, y, _yosys_rules(device))
        adders = sum(_adder_luts(w, device) for w in split.adders)
        soft = sum(soft_multiplier_luts(a, b, signed, device) for a, b in split.soft)
        dsps, luts = split.dsps, adders + soft
        how = (
            f"{dsps} {device.dsp.kind} (mul2dsp)"
            + (f" + adders {list(split.adders)} bits" if split.adders else "")
            + (f" + LUT array {soft} LUT" if split.soft else "")
        )
        cascaded = dsps > 1 and not split.adders
    elif device.multiply_uses_dsp(w1, w2):
        dsps = device.dsps_for_multiply(w1, w2, signed)
        luts = 0
        if _vendor(device) == "lattice" and dsps > 1:  # no cascade adder: partial products in fabric
            split = yosys_rules.mul2dsp(w1, w2, signed, y, _yosys_rules(device))
            luts = sum(_adder_luts(w, device) for w in split.adders)
        ports = device.dsp.modes[0].signed_widths if signed else device.dsp.modes[0].unsigned_widths
        how = f"{dsps:g} {device.dsp.kind} ({max(w1, w2)} vs {ports[0]}, {min(w1, w2)} vs {ports[1]} {kind})"
        how += f" + {luts} LUT partial-product adders" if luts else ""
        cascaded = dsps > 1
    else:
        dsps, luts = 0, soft_multiplier_luts(w1, w2, signed, device)
        how = f"LUT array {luts} LUT (both operands <= {device.dsp.mul_lut_threshold} bits)"
        cascaded = False
    ffs = 0
    if pipeline_registers:
        absorbed = dsps > 0 and (
            flow == "hls" and _vendor(device) in ("xilinx", "intel") or flow == "yosys" and device.dsp.kind == "DSP48E1"
        )
        if not absorbed:
            ffs = w1 + w2 + y
        elif dsps > 1:  # the first partial product's low bits leave the cascade early
            ffs = 17 * (math.ceil(dsps) - 1) if cascaded else y
        how += f" + {ffs} FF pipeline registers" if ffs else " (registers inside the DSP)"
    return _cost(f"{w1}x{w2} {kind} multiply: {how}", lut=luts, ff=ffs, dsp=dsps)


def mac(
    w1: int, w2: int, acc_width: int, device: Device, *, signed: bool = True, flow: str = "hls", clear: bool = True
) -> Cost:
    """Multiply-accumulate ``acc = (first ? 0 : acc) + a * b`` into an ``acc_width``-bit register
    (accumulator included; ``clear=False``: a running sum that never restarts).

    On a DSP48 the add and the accumulator fold into the post-adder and P register when
    ``acc_width <= 48`` (Vivado always; Yosys 0.70 only for DSP48E1, xc7: with ``-family xcup``
    xilinx_dsp packs nothing and the add stays in LUTs). Intel DSPs accumulate up to 64 bits.
    Elsewhere: ``multiplier`` + ``adder(acc_width)`` + ``register(acc_width)``; the restart mux
    folds into the adder's LUT6 (LUT3), but on LUT4 parts it takes another LUT per bit.
    Source: Xilinx UG479 / UG579 (ALU, P feedback, 48-bit), Intel Stratix 10 DSP UG (64-bit
    accumulator); Yosys runs mac16x16+40 and mac16x16+40_first (CALIBRATION.md: xc7 0 LUT 0 FF,
    xcup 40 LUT 40 FF, ecp5 40 / 80 LUT4).
    """
    _check_width(w1, w2, acc_width)
    mul = multiplier(w1, w2, signed, device, flow=flow)
    on_dsp = mul.resources.dsp > 0
    vendor = _vendor(device)
    folds = on_dsp and (
        vendor == "xilinx"
        and acc_width <= 48
        and (flow == "hls" or device.dsp.kind == "DSP48E1")
        or vendor == "intel"
        and flow == "hls"
        and acc_width <= 64
    )
    if folds:
        return Cost(mul.resources, f"MAC {w1}x{w2}+={acc_width}: {mul.formula}; add and accumulator in the DSP")
    add, acc = adder(acc_width, device), register(acc_width)
    total = mul.resources + add.resources + acc.resources
    restart = ""
    if clear and _lut4(device):
        total += Resources(lut=acc_width)
        restart = f" + {acc_width} LUT restart mux"
    return Cost(total, f"MAC {w1}x{w2}+={acc_width}: {mul.formula} + {add.formula} + {acc.formula}{restart}")


# ----------------------------------------------------------------------------- control


def loop_counter(trip: int, device: Device) -> Cost:
    """The counter of a loop of ``trip`` iterations: b = ceil(log2(trip + 1)) bits, an
    incrementer on the carry chain, the compare with trip - 1 and the wrap, b FFs.
    LUT6: ceil(0.75 b) LUTs (the increment of a register needs no LUT before the CARRY4; the
    compare and wrap share LUTs); LUT4: 2b (CCU2C increment + compare).
    Source: Yosys runs loops28x5 (8 counter bits: 6 LUT, 2 INV included; 15 LUT4) and
    loops3x3x16x16 (14 bits: 11 LUT; 29 LUT4) (CALIBRATION.md).
    """
    if not isinstance(trip, int) or trip < 1:
        raise ValueError(f"a loop's trip count must be a positive integer, got {trip!r}")
    if trip == 1:
        return _cost("loop of 1 iteration: no counter")
    bits = math.ceil(math.log2(trip + 1))
    luts = 2 * bits if _lut4(device) else math.ceil(0.75 * bits)
    return _cost(f"loop counter to {trip}: {bits} bits, {luts} LUT, {bits} FF", lut=luts, ff=bits)


def fsm(states: int, device: Device) -> Cost:
    """A one-hot state machine of ``states`` states: one FF and about one LUT (next-state logic)
    per state. Source: Vitis HLS's ``ap_CS_fsm`` is one-hot (its csynth reports list ap_CS_fsm with
    one FF per state and ap_NS_fsm in the multiplexer LUTs); the LUT per state is typical."""
    if states < 1:
        raise ValueError(f"an FSM needs at least one state, got {states}")
    return _cost(f"one-hot FSM of {states} states: {states} FF, {states} LUT", lut=states, ff=states)


def control(trip_counts, state_bits: int, device: Device) -> Cost:
    """The control of one layer: a ``loop_counter`` per loop (``trip_counts``: the trip count of
    each loop) and a one-hot ``fsm`` of ``state_bits`` state bits. Source: see ``loop_counter``
    and ``fsm``."""
    if isinstance(trip_counts, int):
        raise TypeError("control() takes the trip count of each loop, e.g. control([28, 5], 3, device)")
    parts = [loop_counter(t, device) for t in trip_counts] + [fsm(state_bits, device)]
    total = sum((p.resources for p in parts), Resources())
    return Cost(total, " + ".join(p.formula for p in parts))
