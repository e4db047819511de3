"""Power of a design on a part or a cloud card, and so energy per inference.

The model, term by term (every coefficient is in ``COEFFICIENTS`` with its source):

* **Dynamic power of the kernel's resources**: ``count x coefficient x clock (MHz) x toggle / 12.5%``
  for LUTs, flip-flops, DSP slices, RAMB18 and URAM288. Vivado's vectorless default is a 12.5%
  toggle rate (UG440), and the coefficients are taken at it. LUT, FF and block RAM come from one
  published ``report_power`` of an Alveo U50 design (``U50_REPORT``: 475,034 LUTs, 665,852 FFs,
  412.5 RAMB36 at 180 MHz): that report is the calibration, so it is reproduced by construction.
  No published UltraScale+ report with a per-DSP line was found; the DSP coefficient is the part of
  a second published report's dynamic total (``ZU9EG_REPORT``, 1,513 DSPs at 300 MHz, no breakdown)
  that the LUT/FF/BRAM terms, routing and clocks do not explain, divided by its DSPs and clock: one
  number fitted to one total, good to perhaps a factor of 1.5. Cross-check: it equals the dynamic
  power of about 130 LUTs, the LUT count of a 16x16 multiplier built from LUTs (n^2/2), which is
  the relation one would fall back on. URAM288: no published figure was found; estimated as one
  RAMB36 (two RAMB18), because both read a 72-bit word per access; uncertain by a factor of 2.
* **Routing (signals)** and **clock trees**: fractions of the resource power, from the same U50
  report (signals 3.132 W and clocks 2.464 W against 2.904 W of LUT, FF and block RAM). Routing
  follows the data toggle rate; the clock trees toggle every cycle whatever the data do, so they
  follow the clock only: at toggle 0 a clocked kernel still burns its clock-tree power.
* **Static power of the part**: the U50 report's device static (2.335 W at a 34.8 C junction),
  scaled by the part's LUT count (the U50's die has 870,016). Leakage grows steeply with junction
  temperature; a hot card leaks more than this. Held out: the ZU9EG report's static 0.652 W
  (which also holds the processor system's leakage) is estimated at 0.736 W, +13%.
* **The card**: on a platform the card's idle power (``Platform.idle_power_w``: measured for the
  U55C, estimated for the others, see the platform files) replaces the part's static power; it
  holds the part's leakage, the shell, the PCIe link, memory refresh and the board's regulators.
* **Memory traffic**: bytes per second through the banks x energy per bit of the bank's kind.
* **PCIe**: the link's power (the U50 report: 0.538 W for the PCIe block and 2.863 W for its 16
  GTY lanes) is spent whether or not data move, since a link in L0 transmits all the time, so it
  is part of the idle power; traffic adds no modelled power (``pcie_gbps`` is checked only).
* **The envelope**: a total above the platform's maximum board power is reported as the envelope
  with a ``PowerEnvelopeWarning``: the card's firmware would throttle or stop the kernel clock,
  so the throughput the deployment assumes would not hold.

Limits: vectorless (no simulated activity); one toggle rate for all nets; no UG440 width scaling of
the DSP toggle rate; no I/O, transceiver or hard-block power of the kernel; junction temperature
not modelled; the shell's own dynamic power only as far as the measured idle holds it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from fpgalab.cloud.platform import RESOURCES, load_platform
from fpgalab.parts import load_device

DEFAULT_TOGGLE = 0.125  # Vivado's vectorless default rate (Xilinx UG440)

# A published Vivado report_power of an Alveo U50 design (cyansemi/csre-demo-v1, README.md,
# "Utilizaiton and Power", Vitis 2019.2, xilinx_u50_gen3x16_xdma_201920_3, 180 MHz, vectorless).
U50_REPORT = {
    "clock_mhz": 180.0,
    "lut": (475_034, 1.235),  # LUT as logic: count, watts
    "ff": (665_852, 0.137),  # registers
    "bram": (825, 1.532),  # 412.5 RAMB36 = 825 RAMB18
    "signals_w": 3.132,
    "clocks_w": 2.464,
    "pcie_w": 0.538 + 2.863,  # the PCIe hard block and its 16 GTY lanes
    "device_static_w": 2.335,
    "hbm_static_w": 0.264,
    "part_luts": 870_016,
}
# A published routed report_power of an FSRCNN accelerator on a ZCU102 (xczu9eg, Vivado 2022.1,
# 300 MHz, vectorless; README of the FSRCNN_CORE_wrapper project): totals only.
ZU9EG_REPORT = {
    "clock_mhz": 300.0,
    "lut": 43_450,
    "ff": 29_974,
    "bram": 214,  # 107 RAMB36 tiles
    "dsp": 1_513,
    "dynamic_w": 4.973,
    "static_w": 0.652,
}


@dataclass(frozen=True)
class Coefficient:
    value: float
    unit: str
    source: str


def _per_mhz(kind: str) -> float:
    count, watts = U50_REPORT[kind]
    return watts / (count * U50_REPORT["clock_mhz"])


_U50 = "the Alveo U50 report_power (cyansemi/csre-demo-v1 README, 180 MHz, 12.5% toggle): "
_MODELLED_U50 = sum(U50_REPORT[k][1] for k in ("lut", "ff", "bram"))
ROUTING_FRACTION = U50_REPORT["signals_w"] / _MODELLED_U50
CLOCK_FRACTION = U50_REPORT["clocks_w"] / _MODELLED_U50


def _dsp_per_mhz() -> float:
    """The DSP coefficient: what the ZU9EG report's dynamic total leaves after the LUT, FF and BRAM
    terms, with routing and clocks on every term, per DSP and MHz."""
    r, f = ZU9EG_REPORT, ZU9EG_REPORT["clock_mhz"]
    fabric = sum(r[k] * _per_mhz(k) * f for k in ("lut", "ff", "bram"))
    scale = 1 + ROUTING_FRACTION + CLOCK_FRACTION
    return (r["dynamic_w"] / scale - fabric) / (r["dsp"] * f)


COEFFICIENTS = {
    "lut": Coefficient(_per_mhz("lut"), "W per LUT per MHz", _U50 + "LUT as logic 1.235 W for 475,034."),
    "ff": Coefficient(_per_mhz("ff"), "W per FF per MHz", _U50 + "registers 0.137 W for 665,852."),
    "bram": Coefficient(_per_mhz("bram"), "W per RAMB18 per MHz", _U50 + "block RAM 1.532 W for 412.5 RAMB36."),
    "dsp": Coefficient(
        _dsp_per_mhz(),
        "W per DSP48E2 per MHz",
        "fitted: the ZU9EG FSRCNN report's dynamic 4.973 W (1,513 DSPs, 43,450 LUTs, 29,974 FFs, 107 RAMB36, "
        "300 MHz) less the LUT/FF/BRAM terms, routing and clocks; one total, uncertain by about x1.5.",
    ),
    "uram": Coefficient(
        2 * _per_mhz("bram"),
        "W per URAM288 per MHz",
        "estimate: one RAMB36 (two RAMB18), as both read 72 bits per access; no published figure found; x2.",
    ),
    "routing": Coefficient(ROUTING_FRACTION, "x resource power", _U50 + "signals 3.132 W / 2.904 W of LUT+FF+BRAM."),
    "clocks": Coefficient(CLOCK_FRACTION, "x resource power at 12.5%", _U50 + "clocks 2.464 W / 2.904 W."),
    "static": Coefficient(
        U50_REPORT["device_static_w"] / U50_REPORT["part_luts"],
        "W per LUT of the part",
        _U50 + "device static 2.335 W at Tj 34.8 C for 870,016 LUTs, scaled by the part's LUT count (estimate).",
    ),
    "HBM2": Coefficient(
        3.9e-12,
        "J per bit",
        "estimate: about 3.9 pJ/bit for HBM2 (activation, on-die movement and I/O) as recalled from O'Connor "
        "et al., 'Fine-Grained DRAM', MICRO 2017, whose FGDRAM halves HBM2's energy per bit (the halving is "
        "in its abstract; the 3.9 pJ/bit itself was not checked against the paper here); uncertain x1.5.",
    ),
    "DDR4": Coefficient(
        15e-12,
        "J per bit",
        "estimate: HBM2's figure x4, an assumed ratio for a DIMM channel's longer off-package I/O (Li, Reddy, "
        "Jacob, MEMSYS 2018: most DRAM energy is spent in the I/O); no DDR4 figure was found; uncertain x2.",
    ),
}


class PowerEnvelopeWarning(UserWarning):
    """The estimate exceeds the card's maximum board power."""


@dataclass(frozen=True)
class PowerReport:
    design: str
    part: str
    platform: str | None
    clock_mhz: float
    toggle: float
    compute_units: int
    static_w: float  # the part's leakage (inside idle_w on a platform)
    idle_w: float | None  # the card with its shell and no kernel running
    dynamic_w: dict = field(default_factory=dict)  # resource kind -> W, all compute units
    routing_w: float = 0.0
    clocks_w: float = 0.0
    memory_w: float = 0.0
    pcie_w: float = 0.0
    envelope_w: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def uncapped_w(self) -> float:
        base = self.idle_w if self.idle_w is not None else self.static_w
        return base + sum(self.dynamic_w.values()) + self.routing_w + self.clocks_w + self.memory_w + self.pcie_w

    @property
    def total_w(self) -> float:
        """The whole estimate, at most the platform's envelope (see ``warnings``)."""
        if self.envelope_w is None:
            return self.uncapped_w
        return min(self.uncapped_w, self.envelope_w)

    def rows(self) -> list[tuple[str, float, str]]:
        """(term, watts, what it stands for) for each line of the table."""
        rows = [("part static", self.static_w, "leakage, LUT-scaled from the U50 report")]
        if self.idle_w is not None:
            rows.append(
                ("card idle", self.idle_w, f"{self.platform}: shell, PCIe link, memory, board; holds the above")
            )
        for kind in RESOURCES:
            rows.append((kind, self.dynamic_w[kind], f"{_per_mhz_text(COEFFICIENTS[kind].value)} each at 12.5%"))
        rows.append(("routing", self.routing_w, f"{ROUTING_FRACTION:.3f} x resources"))
        rows.append(("clock trees", self.clocks_w, f"{CLOCK_FRACTION:.3f} x resources at 12.5%"))
        rows.append(("memory traffic", self.memory_w, "bytes through the banks x energy per bit"))
        rows.append(("pcie traffic", self.pcie_w, "the link's power is in the idle"))
        return rows

    def __str__(self) -> str:
        where = f"{self.platform} ({self.part})" if self.platform else self.part
        lines = [
            f"power of {self.design} on {where}: {self.compute_units} compute unit(s), "
            f"{self.clock_mhz:g} MHz, toggle {self.toggle:.1%}"
        ]
        lines += [f"  {name:15s} {watts:8.3f} W  {note}" for name, watts, note in self.rows()]
        lines.append(f"  {'total':15s} {self.total_w:8.3f} W")
        lines += [f"warning: {text}" for text in self.warnings]
        return "\n".join(lines)


def _per_mhz_text(watts_per_mhz: float) -> str:
    if watts_per_mhz < 1e-6:
        return f"{watts_per_mhz * 1e9:.3g} nW/MHz"
    return f"{watts_per_mhz * 1e6:.3g} uW/MHz"


def _memory_joules_per_bit(kinds) -> float:
    kinds = list(kinds)
    for kind in kinds:
        if kind not in COEFFICIENTS:
            raise ValueError(f"no energy per bit for memory kind {kind!r}; known: HBM2, DDR4")
    return sum(COEFFICIENTS[k].value for k in kinds) / len(kinds)


def _check(clock_mhz, toggle, compute_units, memory_gbps, pcie_gbps) -> None:
    if not isinstance(clock_mhz, (int, float)) or clock_mhz <= 0:
        raise ValueError(f"clock_mhz must be a positive number of MHz, got {clock_mhz!r}")
    if not isinstance(toggle, (int, float)) or not 0 <= toggle <= 1:
        raise ValueError(f"toggle must be a rate in [0, 1] (Vivado's default is 0.125), got {toggle!r}")
    if not isinstance(compute_units, int) or isinstance(compute_units, bool) or compute_units < 1:
        raise ValueError(f"compute_units must be a positive integer, got {compute_units!r}")
    for name, value in (("memory_gbps", memory_gbps), ("pcie_gbps", pcie_gbps)):
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name} must be a non-negative number of GB/s, got {value!r}")


def estimate_power(
    design,
    clock_mhz=None,
    toggle: float = DEFAULT_TOGGLE,
    platform=None,
    compute_units: int = 1,
    memory_gbps: float = 0.0,
    pcie_gbps: float = 0.0,
    memory_kinds=None,
) -> PowerReport:
    """Power of ``compute_units`` copies of ``design`` at ``clock_mhz`` (default: the design's clock)
    and ``toggle``, alone on its part or on ``platform`` with ``memory_gbps`` through the banks
    (of ``memory_kinds``, default the platform's first bank's) and ``pcie_gbps`` over the link.
    See the module docstring for the model and its limits."""
    clock_mhz = float(design.options.clock_mhz) if clock_mhz is None else clock_mhz
    _check(clock_mhz, toggle, compute_units, memory_gbps, pcie_gbps)
    resources = design.report().resources
    counts = {kind: float(getattr(resources, kind)) * compute_units for kind in RESOURCES}
    card = load_platform(platform) if platform is not None else None
    part = load_device(card.part if card else design.options.device)
    scale = toggle / DEFAULT_TOGGLE
    at_default = {kind: counts[kind] * COEFFICIENTS[kind].value * clock_mhz for kind in RESOURCES}
    dynamic = {kind: watts * scale for kind, watts in at_default.items()}
    notes = []
    memory_w = 0.0
    if card is None and (memory_gbps or pcie_gbps):
        raise ValueError("memory_gbps and pcie_gbps need a platform (the banks' kind and the PCIe link)")
    if card is not None:
        kinds = memory_kinds or (card.banks[0].kind,)
        memory_w = memory_gbps * 8e9 * _memory_joules_per_bit(kinds)
        if pcie_gbps > 2 * card.pcie.peak_gbps:
            raise ValueError(
                f"pcie_gbps {pcie_gbps:g} exceeds the link's {2 * card.pcie.peak_gbps:g} GB/s (both directions)"
            )
    report = PowerReport(
        design=design.name,
        part=part.name,
        platform=card.name if card else None,
        clock_mhz=float(clock_mhz),
        toggle=float(toggle),
        compute_units=compute_units,
        static_w=part.luts * COEFFICIENTS["static"].value,
        idle_w=card.idle_power_w if card else None,
        dynamic_w=dynamic,
        routing_w=ROUTING_FRACTION * sum(dynamic.values()),
        clocks_w=CLOCK_FRACTION * sum(at_default.values()),
        memory_w=memory_w,
        envelope_w=card.board_power_w if card else None,
    )
    if card is not None and report.uncapped_w > card.board_power_w:
        notes.append(
            f"the estimate {report.uncapped_w:.1f} W exceeds {card.name}'s {card.board_power_w:g} W maximum: "
            "the card would throttle or stop the kernel clock; the total is shown at the envelope"
        )
        warnings.warn(notes[-1], PowerEnvelopeWarning, stacklevel=2)
    return PowerReport(**{**report.__dict__, "warnings": tuple(notes)}) if notes else report
