"""Cloud FPGA platforms as data: the card around a part (shell, memory banks, PCIe link, clocks, power).

Each platform is one JSON file in ``fpgalab/cloud/platforms/`` (``aws-f1.json``, ``alveo-u250.json`` ...).
Every number carries its source in the file: a datasheet (Xilinx DS962 / DS963 / DS978, UG1393,
UG1120), an AWS developer-kit page, a published measurement, or ``estimate:`` with the reason.
``load_platform("f1")`` returns a frozen :class:`Platform`; names and aliases are case-insensitive.

Units: sizes in MiB, bandwidths in GB/s (1e9 bytes per second, one direction), overheads in
microseconds, clocks in MHz, power in watts; shell resources in the units of the part's
``Device`` (LUT6, flip-flops, DSP slices, RAMB18, URAM288).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from fpgalab.parts import Device, load_device

PLATFORM_DIR = Path(__file__).resolve().parent / "platforms"
RESOURCES = ("lut", "ff", "dsp", "bram", "uram")


@dataclass(frozen=True)
class Bank:
    """One memory bank a compute unit can own: a DDR4 channel or an HBM pseudo channel."""

    name: str  # "DDR[0]", "HBM[31]": the name v++ ``sp=`` takes
    kind: str  # "DDR4", "HBM2"
    size_bytes: int
    peak_gbps: float
    realistic_gbps: float  # what a kernel streaming long bursts gets (measured or estimated)


@dataclass(frozen=True)
class PcieLink:
    generation: int
    lanes: int
    peak_gbps: float  # per direction
    host_to_card_gbps: float  # effective DMA rate for large transfers
    card_to_host_gbps: float
    overhead_us: float  # fixed cost of one DMA transfer (descriptor set-up, completion)

    def seconds(self, nbytes: int, to_card: bool, transfers: int = 1) -> float:
        """Time to move ``nbytes`` in ``transfers`` DMA transfers: a fixed overhead each, plus the bytes
        at the effective rate."""
        rate = self.host_to_card_gbps if to_card else self.card_to_host_gbps
        return transfers * self.overhead_us * 1e-6 + nbytes / (rate * 1e9)


@dataclass(frozen=True, repr=False)
class Platform:
    name: str
    aliases: tuple[str, ...]
    title: str
    part: str  # fpgalab.parts name
    shell: MappingProxyType  # resource kind -> amount the static region takes
    banks: tuple[Bank, ...]
    pcie: PcieLink
    clock_mhz: float  # default kernel clock
    max_clock_mhz: float
    board_power_w: float
    idle_power_w: float  # the card with its shell loaded and no kernel running
    sources: MappingProxyType  # "group.field" -> source text
    notes: tuple[str, ...]
    path: str

    def __repr__(self) -> str:
        return f"Platform({self.name!r}, part={self.part!r}, banks={len(self.banks)})"

    @property
    def device(self) -> Device:
        return load_device(self.part)

    def available(self) -> dict[str, float]:
        """Resources left for kernels: the part's totals minus what the shell takes."""
        d = self.device
        total = {"lut": d.luts, "ff": d.ffs, "dsp": d.dsps, "bram": d.bram, "uram": d.uram}
        return {kind: total[kind] - self.shell[kind] for kind in RESOURCES}

    def figures(self) -> list[tuple[str, object, str]]:
        """Every number of the platform with its source, as (field, value, source) rows, for checking."""
        data, rows = json.loads(Path(self.path).read_text()), []
        rows.append(("shell " + ", ".join(f"{k} {data['shell'][k]}" for k in RESOURCES), "", self.sources["shell"]))
        for group in data["banks"]:
            for field in ("count", "size_mib", "peak_gbps", "realistic_gbps"):
                rows.append((f"{group['name']}.{field}", group[field], self.sources[f"{group['name']}.{field}"]))
        for field in ("generation", "peak_gbps", "host_to_card_gbps", "card_to_host_gbps", "overhead_us"):
            rows.append((f"pcie.{field}", data["pcie"][field], self.sources[f"pcie.{field}"]))
        for field in ("default_mhz", "max_mhz"):
            rows.append((f"clock.{field}", data["clock"][field], self.sources[f"clock.{field}"]))
        rows.append(("power.board_max_w", self.board_power_w, self.sources["power"]))
        rows.append(("power.idle_w", self.idle_power_w, self.sources["power.idle_w"]))
        return rows

    def bank(self, name: str) -> Bank:
        for bank in self.banks:
            if bank.name.lower() == name.lower():
                return bank
        raise ValueError(f"{self.name} has no memory bank {name!r}; its banks are {_bank_ranges(self.banks)}")


def _bank_ranges(banks) -> str:
    groups: dict[str, int] = {}
    for bank in banks:
        prefix = bank.name.split("[")[0]
        groups[prefix] = groups.get(prefix, 0) + 1
    return ", ".join(f"{p}[0]..{p}[{n - 1}]" if n > 1 else f"{p}[0]" for p, n in groups.items())


def _need(data: dict, key: str, kind, where: str):
    if key not in data:
        raise ValueError(f"{where}: missing field {key!r}")
    value = data[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{where}: field {key!r} must be {kind.__name__}, got {value!r}")
    if kind in (int, float) and value < 0:
        raise ValueError(f"{where}: field {key!r} must not be negative, got {value!r}")
    return value


def read_platform_file(path: Path) -> Platform:
    """A platform from its JSON file, every field checked; every number must have a source."""
    where = str(path)
    data = json.loads(Path(path).read_text())
    sources: dict[str, str] = {}
    shell = _need(data, "shell", dict, where)
    sources["shell"] = _need(shell, "source", str, f"{where} shell")
    reserved = {kind: _need(shell, kind, int, f"{where} shell") for kind in RESOURCES}
    banks = []
    for group in _need(data, "banks", list, where):
        at = f"{where} bank {group.get('name', '?')}"
        name, kind = _need(group, "name", str, at), _need(group, "kind", str, at)
        count = _need(group, "count", int, at)
        numbers = {f: _need(group, f, float, at) for f in ("size_mib", "peak_gbps", "realistic_gbps")}
        cited = _need(group, "sources", dict, at)
        for field in ("count", *numbers):
            sources[f"{name}.{field}"] = _need(cited, field, str, f"{at} sources")
        if numbers["realistic_gbps"] > numbers["peak_gbps"] or numbers["realistic_gbps"] <= 0:
            raise ValueError(f"{at}: realistic_gbps must be positive and at most peak_gbps")
        size = int(numbers["size_mib"] * 2**20)
        banks += [
            Bank(f"{name}[{k}]", kind, size, numbers["peak_gbps"], numbers["realistic_gbps"]) for k in range(count)
        ]
    if not banks:
        raise ValueError(f"{where}: a platform needs at least one memory bank")
    pcie = _need(data, "pcie", dict, where)
    fields = ("peak_gbps", "host_to_card_gbps", "card_to_host_gbps", "overhead_us")
    link = PcieLink(
        _need(pcie, "generation", int, f"{where} pcie"),
        _need(pcie, "lanes", int, f"{where} pcie"),
        *(_need(pcie, f, float, f"{where} pcie") for f in fields),
    )
    for field in ("generation", *fields):
        sources[f"pcie.{field}"] = _need(_need(pcie, "sources", dict, where), field, str, f"{where} pcie sources")
    clock = _need(data, "clock", dict, where)
    for field in ("default_mhz", "max_mhz"):
        sources[f"clock.{field}"] = _need(_need(clock, "sources", dict, where), field, str, f"{where} clock sources")
    power = _need(data, "power", dict, where)
    sources["power"] = _need(power, "source", str, f"{where} power")
    sources["power.idle_w"] = _need(power, "idle_source", str, f"{where} power")
    if _need(power, "idle_w", float, f"{where} power") >= _need(power, "board_max_w", float, f"{where} power"):
        raise ValueError(f"{where}: power.idle_w must be below power.board_max_w")
    part = _need(data, "part", str, where)
    load_device(part)  # an unknown part fails here, naming the known ones
    return Platform(
        name=_need(data, "name", str, where),
        aliases=tuple(_need(data, "aliases", list, where)),
        title=_need(data, "title", str, where),
        part=part,
        shell=MappingProxyType(reserved),
        banks=tuple(banks),
        pcie=link,
        clock_mhz=_need(clock, "default_mhz", float, f"{where} clock"),
        max_clock_mhz=_need(clock, "max_mhz", float, f"{where} clock"),
        board_power_w=_need(power, "board_max_w", float, f"{where} power"),
        idle_power_w=_need(power, "idle_w", float, f"{where} power"),
        sources=MappingProxyType(sources),
        notes=tuple(data.get("notes", ())),
        path=where,
    )


_CACHE: dict[str, Platform] = {}


def list_platforms() -> list[Platform]:
    """Every shipped platform, by name."""
    for path in sorted(PLATFORM_DIR.glob("*.json")):
        if str(path) not in _CACHE:
            _CACHE[str(path)] = read_platform_file(path)
    return sorted(_CACHE.values(), key=lambda p: p.name)


def load_platform(name) -> Platform:
    """A platform by name or alias ("aws-f1", "f1", "u250", "alveo-u250" ...), or a ``Platform`` as is."""
    if isinstance(name, Platform):
        return name
    if not isinstance(name, str):
        raise ValueError(f"a platform is named by a string, got {name!r}")
    key = name.strip().lower()
    known = list_platforms()
    for platform in known:
        if key == platform.name.lower() or key in (a.lower() for a in platform.aliases):
            return platform
    names = ", ".join(f"{p.name} ({', '.join(a for a in p.aliases if a != p.name)})" for p in known)
    raise ValueError(f"unknown platform {name!r}; the known platforms (aliases) are: {names}")
