"""Export for Vitis: a batch kernel with AXI ports around the network, its link configuration, an
XRT host program and the Makefile that builds them.

    emit_vitis(design, "out/jet_vitis", batch=256, compute_units=2, banks=("DDR[0]", "DDR[1]"))

writes

    kernel.cpp          ``extern "C"`` top function: ``m_axi`` ports (one bundle each, ``offset=slave``),
                        ``s_axilite`` control, pipelined loops unpacking and packing the AXI words
                        (``fpgalab.cloud.vitis.data``), the network called once per sample
    network/            the network's HLS C++ as the HLS backend writes it (``backends.hls.project``)
    driver.cpp          runs the kernel as a C function over a batch in memory (``make csim``)
    data/               the batch's input words and the simulator's outputs as reference words
    link.cfg            ``nk=`` for the compute units, ``sp=`` for their banks
    host.cpp            XRT native C++ API: streams batches to every compute unit, times and checks them
    Makefile            csim, sw_emu, hw_emu, hw, run

What is checked here: the kernel compiled with g++ against the ap_types headers and run over a whole
batch equals the simulator bit for bit (tests/tools/test_vitis_export.py); host.cpp passes
``g++ -fsyntax-only`` against XRT's public headers (Debian's libxrt-dev) when they are installed.
Neither v++ nor a card is available here: no xclbin has been built or run from this export.

``design.emit("vitis", ...)`` still writes the plain Vitis HLS project (an alias of "hls"): the
backends sit below ``fpgalab.cloud`` and cannot call into it; this export is called from here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from fpgalab.backends import hls_kernel_class
from fpgalab.backends.hls.project import network_files
from fpgalab.backends.hls.testbench import default_ap_types
from fpgalab.backends.stimulus import expected_outputs, test_inputs
from fpgalab.cloud.vitis.data import check_layout, input_bytes, make_port, pack_values
from fpgalab.cloud.vitis.host import host_cpp, link_cfg, makefile
from fpgalab.cloud.vitis.kernel import driver_cpp, kernel_cpp
from fpgalab.sim.fixed import from_float

BANK = re.compile(r"^(DDR|HBM|PLRAM|HOST)\[\d+(:\d+)?\]$")
# The Vitis platform of each part's usual card (what `v++ --platform` takes); override with PLATFORM=.
PLATFORMS = {
    "xcvu9p": "xilinx_aws-vu9p-f1_shell-v04261818_201920_3",  # AWS F1 (aws-fpga Vitis platform)
    "xcu250": "xilinx_u250_gen3x16_xdma_4_1_202210_1",  # Alveo U250
}


def kernel_name(design) -> str:
    return "krnl_" + re.sub(r"\W", "_", design.kernel.name)


def vitis_ports(design, cpp, axi_width: int, pack) -> tuple[list, list]:
    """The batch kernel's input and output ports (``fpgalab.cloud.vitis.data.Port``)."""
    inputs = [
        make_port(f"in{k}", name, cpp.buffer_types[name], cpp.shapes[name], axi_width, pack)
        for k, name in enumerate(cpp.inputs)
    ]
    stored = list(dict.fromkeys(cpp.outputs))
    for name in stored:
        if name in cpp.inputs:
            raise ValueError(
                f"output {name!r} is the input itself; the Vitis export needs outputs the network computes"
            )
    outputs = [
        make_port(f"out{k}", name, cpp.buffer_types[name], cpp.shapes[name], axi_width, pack)
        for k, name in enumerate(stored)
    ]
    return inputs, outputs


def check_options(batch, compute_units, banks) -> tuple:
    if not isinstance(batch, (int, np.integer)) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be a whole number of samples >= 1, got {batch!r}")
    if not isinstance(compute_units, (int, np.integer)) or isinstance(compute_units, bool) or compute_units < 1:
        raise ValueError(f"compute_units must be a whole number >= 1, got {compute_units!r}")
    banks = (banks,) if isinstance(banks, str) else tuple(banks)
    if not banks:
        raise ValueError("give at least one memory bank, e.g. banks=('DDR[0]',)")
    for bank in banks:
        if not isinstance(bank, str) or not BANK.match(bank):
            raise ValueError(f"bad memory bank {bank!r}; give DDR[n], HBM[n], HBM[a:b], PLRAM[n] or HOST[n]")
    return banks


def emit_vitis(
    design,
    folder,
    batch: int,
    compute_units: int = 1,
    banks=("DDR[0]",),
    axi_width: int = 512,
    pack="sample",
    inputs=None,
    platform: str | None = None,
) -> Path:
    """Write the Vitis export of ``design`` into ``folder`` (created; it must be empty if it exists).

    ``batch``: samples per kernel run (the host's buffers, the reference data); ``compute_units``
    copies of the kernel, unit ``k`` with all its ports in ``banks[k % len(banks)]``; ``axi_width``
    bits per AXI word; ``pack``: the layout of the values in the words (``fpgalab.cloud.layout``); ``inputs``: the
    batch to write as data/ (float arrays, samples first; default: deterministic test inputs);
    ``platform``: the Vitis platform the Makefile builds for. Returns the folder.
    """
    banks = check_options(batch, compute_units, banks)
    pack = check_layout(axi_width, pack)
    target = Path(folder).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} exists and is not an empty folder; give a new folder for the Vitis export")
    cpp = hls_kernel_class(design)(design)
    in_ports, out_ports = vitis_ports(design, cpp, axi_width, pack)
    arrays = [np.asarray(a, dtype=np.float32) for a in (inputs if inputs is not None else test_inputs(design, batch))]
    if len(arrays) != len(in_ports) or any(a.size != batch * p.count for a, p in zip(arrays, in_ports)):
        shapes = ", ".join(str((batch,) + p.shape) for p in in_ports)
        raise ValueError(f"inputs must be {len(in_ports)} array(s) of {batch} samples each: {shapes}")
    arrays = [a.reshape((batch,) + p.shape) for a, p in zip(arrays, in_ports)]
    name = kernel_name(design)
    if platform is None:
        platform = PLATFORMS.get(design.device.name, "")
    files = {f"network/{path}": text for path, text in network_files(cpp).items()}
    files["kernel.cpp"] = kernel_cpp(cpp, name, in_ports, out_ports, axi_width, batch, design)
    files["driver.cpp"] = driver_cpp(name, in_ports, out_ports, axi_width)
    files["link.cfg"] = link_cfg(name, in_ports + out_ports, compute_units, banks)
    files["host.cpp"] = host_cpp(name, in_ports, out_ports, axi_width, batch, compute_units)
    files["Makefile"] = makefile(
        name, in_ports, out_ports, batch, platform, design.options.clock_mhz, default_ap_types()
    )
    data = {f"data/{p.label}.bin": b for p, b in zip(in_ports, input_bytes(arrays, in_ports, axi_width))}
    expected = dict(zip(design.kernel.outputs, expected_outputs(design, arrays)))
    for port in out_ports:
        storage_of = {o: cpp.storage[o] for o in design.kernel.outputs}
        output = next(o for o, s in storage_of.items() if s == port.buffer)
        mantissas = from_float(np.asarray(expected[output], dtype=np.float64).reshape(-1), port.dtype)
        data[f"data/reference_{port.label}.bin"] = pack_values(mantissas, port, axi_width)
    for relative, content in {**files, **data}.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return target
