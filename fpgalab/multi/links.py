"""Links between the FPGAs of a multi-device pipeline, as data (``links.json``, every number with its source).

A link carries one cut's tensors from one device to the next. It is a chain of hops (PCIe through
the host is two: card to host memory, then host memory to the next card), each a DMA or a stream
with a bandwidth (GB/s, 1e9 bytes per second, one direction) and a fixed latency per transfer
(microseconds). Moving ``B`` bytes takes, store-and-forward through the hops,

    transfer(B) = sum over hops of (B / bandwidth + latency)

and the link moves one frame's tensors at a time (a DMA engine finishes one transfer before the
next), so it is busy ``transfer(B)`` per frame: that is its interval in the pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

LINKS_FILE = Path(__file__).resolve().parent / "links.json"


@dataclass(frozen=True)
class Hop:
    name: str
    gbytes_per_s: float
    latency_us: float


@dataclass(frozen=True)
class Link:
    name: str
    aliases: tuple[str, ...]
    title: str
    hops: tuple[Hop, ...]
    max_devices: int
    sources: MappingProxyType

    def transfer_seconds(self, nbytes: float) -> float:
        """Seconds to move ``nbytes`` through every hop (0 for nothing to move)."""
        if nbytes <= 0:
            return 0.0
        return sum(nbytes / (hop.gbytes_per_s * 1e9) + hop.latency_us * 1e-6 for hop in self.hops)

    @property
    def latency_us(self) -> float:
        return sum(hop.latency_us for hop in self.hops)

    @property
    def gbytes_per_s(self) -> float:
        """The bandwidth of a long transfer through all hops, store-and-forward."""
        return 1.0 / sum(1.0 / hop.gbytes_per_s for hop in self.hops)


def _read() -> dict[str, Link]:
    data = json.loads(LINKS_FILE.read_text())
    links = {}
    for name, entry in data.items():
        hops = tuple(Hop(h["name"], float(h["gbytes_per_s"]), float(h["latency_us"])) for h in entry["hops"])
        links[name] = Link(
            name,
            tuple(entry.get("aliases", ())),
            entry["title"],
            hops,
            int(entry["max_devices"]),
            MappingProxyType(dict(entry["sources"])),
        )
    return links


_LINKS = _read()


def list_links() -> list[Link]:
    return list(_LINKS.values())


def load_link(link) -> Link:
    """The link named ``link`` (a name or alias, any case), or ``link`` itself when it is a ``Link``."""
    if isinstance(link, Link):
        return link
    key = str(link).strip().lower()
    for entry in _LINKS.values():
        if key == entry.name or key in entry.aliases:
            return entry
    names = ", ".join(f"{e.name} ({', '.join(e.aliases)})" for e in _LINKS.values())
    raise ValueError(f"unknown link {link!r}; known links: {names}")
