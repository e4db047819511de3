"""Part names as hls4ml and Vivado write them (die, package, speed grade) onto fpgalab's parts.

hls4ml passes its ``part`` string to Vivado/Vitis HLS unchanged (``set_part`` in build_prj.tcl), so a
user's configuration names a full Vivado part such as ``xcu250-figd2104-2L-e``, ``xcvu9p-flga2104-2L-e``,
``xczu9eg-ffvb1156-2-e`` or ``xc7z020clg400-1``. fpgalab models one part per die
(``fpgalab/parts/*.json``, each with the full part string its numbers were read for): a Vivado part maps
onto the fpgalab part of its die whatever its package and speed grade; an fpgalab name or alias is
taken as it is.
"""

from __future__ import annotations

import re

from fpgalab.parts import list_devices, load_device

# what follows the die in a Vivado part name: the package (letters and pin count, joined by '-' or not)
# and an optional speed grade with temperature grade, e.g. "-figd2104-2L-e", "clg400-1", "-ffvb1156-2-e"
_PACKAGE_SPEED = re.compile(r"^-?[a-z]+\d+(-\d+[a-z]*(-[a-z]+)?)?$")


def _known() -> str:
    return "; ".join(f"{d.name} (e.g. {d.part})" for d in list_devices() if d.part)


def device_for_part(part: str) -> str:
    """The fpgalab part name of a Vivado/hls4ml part string; ``ValueError`` lists the parts fpgalab models."""
    if not isinstance(part, str) or not part.strip():
        raise ValueError(f"part must be a Vivado part name such as 'xcu250-figd2104-2L-e', got {part!r}")
    text = part.strip().lower()
    try:
        return load_device(text).name
    except ValueError:
        pass
    dies = sorted((d for d in list_devices() if d.vendor.startswith("Xilinx")), key=lambda d: -len(d.name))
    for device in dies:
        if text.startswith(device.name) and _PACKAGE_SPEED.match(text[len(device.name) :]):
            return device.name
    raise ValueError(f"unknown part {part!r}: fpgalab models these parts (any package and speed grade): {_known()}")


def part_for_device(device: str, given: str | None = None) -> str:
    """The Vivado part string hls4ml should target for fpgalab's ``device``: ``given`` when it is a part
    of that die, else the part the device file's numbers were read for."""
    if given is not None:
        try:
            if device_for_part(given) == load_device(device).name:
                return given
        except ValueError:
            pass
    return load_device(device).part or load_device(device).name
