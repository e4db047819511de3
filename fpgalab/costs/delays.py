"""Operator delays (ns) as Vivado/Vitis HLS schedules them, for chaining operations within a clock cycle.

An HLS scheduler puts operations into the same clock cycle (state) while their summed delays fit
the clock period less its uncertainty, and registers a value where the next operation would not
fit. These are the delays it uses, per device family, read from its own schedules: the verbose
schedule reports (``solution1/.autopilot/db/*.verbose.rpt``, "Operation ... <Delay = x>") that
Vivado HLS wrote for hls4ml projects and their authors published:

* UltraScale+ (DSP48E2 parts; xcu250-figd2104-2L-e, Vivado HLS 2019.2): Hector-Plata/hls4ml-tutorial
  @ 4ac4f07, ``model_1/hls4ml_prj/myproject_prj/solution1/.autopilot/db/``: ``dense_latency_*``
  (a constant multiply ``Mul`` 1.94 ns, ``AddSub`` 0.40-0.62 ns rising with width, 0.58 at 16 bits),
  ``softmax_stable_*`` (ROM load 1.15 ns, a ``DSP48`` multiply of two variables 2.53 ns), ``relu_*``
  (compare 0.67 + select 0.29 = 0.96 ns).
* 7-series (DSP48E1 parts; xc7z020-clg400-1, Vivado HLS 2019.1): kendermag/hls4ml-tutorial @ 07807f8,
  ``TUDATALLAPOT_QUANTIZED_VER0_312_FULL/myproject_prj/solution1/.autopilot/db/``:
  ``dense_wrapper_*`` (``Mul`` 3.78 ns, ``DSP48`` 3.89 ns, ``AddSub`` 1.73-1.81 ns, ROM load 3.25 ns,
  select 0.69 ns), ``relu_*`` (compare ``Cmp`` 1.36 ns), ``softmax_latency_*`` (``MulnS`` 3.34 ns).

A ROM (a function table) read is registered: the address is presented in one state and the data
is there in the next (``ROM_nP`` loads span two states in those schedules). Parts of other vendors
have no delays here: a schedule that needs them raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.parts import Device, yosys_family

# hls4ml's default clock uncertainty: 12.5 % (Vivado HLS), 27 % (Vitis HLS) of the period
# (hls4ml/backends/vivado/vivado_backend.py and vitis/vitis_backend.py, create_initial_config).
VIVADO_UNCERTAINTY = 0.125
VITIS_UNCERTAINTY = 0.27


@dataclass(frozen=True)
class Delays:
    """Delays in ns of the operations an hls4ml design is made of, on one device family."""

    family: str
    const_mul: float  # a multiply by a constant (``Mul`` core), in a DSP or LUTs
    mul: float  # a multiply of two variables in a DSP (``DSP48`` core)
    add_narrow: float  # an adder/subtractor up to 8 bits
    add_wide: float  # an adder/subtractor of 16 bits and more (between: interpolated)
    compare: float  # an integer compare
    select: float  # a 2:1 select of a word
    rom_read: float  # a ROM (function table) read: address to registered data

    def add(self, width: int) -> float:
        """An adder of ``width`` bits: carry-chain delay grows slowly with width."""
        if width <= 8:
            return self.add_narrow
        if width >= 16:
            return self.add_wide
        return self.add_narrow + (self.add_wide - self.add_narrow) * (width - 8) / 8


FAMILIES = {
    "xcup": Delays(
        "UltraScale+",
        const_mul=1.94,
        mul=2.53,
        add_narrow=0.43,
        add_wide=0.58,
        compare=0.67,
        select=0.29,
        rom_read=1.15,
    ),
    "xc7": Delays(
        "7-series", const_mul=3.78, mul=3.89, add_narrow=1.73, add_wide=1.81, compare=1.36, select=0.69, rom_read=3.25
    ),
}


def delays_for(device: Device) -> Delays:
    """The delays of ``device``'s family; ValueError for a family with no measured schedule."""
    family = yosys_family(device)
    if family not in FAMILIES:
        raise ValueError(
            f"hls4ml's architectures are modelled on Xilinx 7-series and UltraScale+ parts (the "
            f"families whose HLS schedules fpgalab has read); {device.name} is {device.vendor} "
            f"{device.family}. Use io='layered' for it"
        )
    return FAMILIES[family]


def effective_period(clock_mhz: float, uncertainty: float) -> float:
    """The time HLS may fill with chained operations in one cycle: the period less the uncertainty."""
    return 1000.0 / clock_mhz * (1.0 - uncertainty)
