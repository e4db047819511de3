"""Links between the FPGAs of a multi-device pipeline, as data (``links.json``, every number with its source).

A link carries one cut's tensors from one device to the next. It is a chain of hops (PCIe through
the host is two: card to host memory, then host memory to the next card), each a DMA or a stream
with a bandwidth (GB/s, 1e9 bytes per second, one direction) and a fixed latency per transfer
(microseconds). One hop moves ``B`` bytes in

    hop(B) = B / bandwidth + latency

and moves one frame's tensors at a time (a DMA engine finishes one transfer before the next), so it
is busy ``hop(B)`` per frame. The hops are separate engines with a frame buffer between them (host
memory), so a frame goes through them store-and-forward while the next frame is on the hop before:
the link's interval is its slowest hop, ``max hop(B)``, its latency the sum over its hops.
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

    def hop_seconds(self, nbytes: float) -> tuple[float, ...]:
        """Seconds each hop takes to move ``nbytes`` (0 for nothing to move)."""
        if nbytes <= 0:
            return tuple(0.0 for _ in self.hops)
        return tuple(nbytes / (hop.gbytes_per_s * 1e9) + hop.latency_us * 1e-6 for hop in self.hops)

    def transfer_seconds(self, nbytes: float) -> float:
        """Seconds from the first byte leaving to the last arriving, through every hop: the link's latency."""
        return sum(self.hop_seconds(nbytes))

    def interval_seconds(self, nbytes: float) -> float:
        """Seconds between frames the link sustains: its slowest hop."""
        return max(self.hop_seconds(nbytes))

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
