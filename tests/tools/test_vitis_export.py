"""Vitis export: the batch kernel (m_axi words unpacked, the network per sample, outputs packed)
compiled with g++ against the ap_types headers and run over a whole batch equals the simulator bit
for bit; the host program passes g++ -fsyntax-only against XRT's public headers where they are
installed (Debian's libxrt-dev)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import case

from fpgalab.backends import hls_kernel_class
from fpgalab.cloud.vitis import emit_vitis, kernel_name, vitis_ports
from fpgalab.cloud.vitis.data import exact_values, unpack_values

pytestmark = pytest.mark.tools

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"
XRT_INCLUDE = Path("/usr/include/xrt")  # libxrt-dev: <xrt/xrt_device.h> is XRT_INCLUDE/xrt/xrt_device.h


def _tools():
    if shutil.which("g++") is None or shutil.which("make") is None:
        pytest.skip("g++ and make are needed (apt-get install g++ make)")
    if not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("ap_types headers missing: run `make setup` (scripts/fetch_ap_types.py)")


def _csim_outputs(design, folder: Path, batch: int, axi_width: int, pack: bool, x: np.ndarray) -> list:
    """Run ``make csim`` on the export and read back its output words as exact values."""
    project = emit_vitis(design, folder, batch=batch, axi_width=axi_width, pack=pack, inputs=[x])
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout and f"ran {batch} samples" in result.stdout
    _, outputs = vitis_ports(design, hls_kernel_class(design)(design), axi_width, pack)
    values = []
    for port in outputs:
        data = (project / "data" / f"{port.label}.bin").read_bytes()
        assert len(data) == port.words(batch) * axi_width // 8
        values.append(exact_values(unpack_values(data, port, batch, axi_width), port.dtype))
    return values


@pytest.mark.parametrize("name", ["jet_mlp", "conv2d_8"])
@pytest.mark.parametrize("pack", ["sample", True, False])
@pytest.mark.parametrize("batch", [1, 7])
def test_vitis_kernel_batch_equals_the_simulator(tmp_path, name, pack, batch):
    _tools()
    design = case(name).design(precision="ap_fixed<16,6>")
    shape = design.example_shapes[0]
    rng = np.random.default_rng(batch)
    x = rng.uniform(-4, 4, (batch,) + shape[1:] if shape[0] == 1 else (batch,) + shape).astype(np.float32)
    got = _csim_outputs(design, tmp_path / "vitis", batch, 512, pack, x)
    want = design.simulate(x)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.reshape(batch, -1), np.asarray(w, dtype=np.float64).reshape(batch, -1))


@pytest.mark.parametrize("io", ["parallel", "stream"])
@pytest.mark.parametrize("pack", ["sample", True])
def test_vitis_kernel_around_each_architecture(tmp_path, io, pack):
    """The network inside is the HLS C++ of the architecture the design was estimated in; with
    io="parallel" and whole samples a word the batch loop is one pipeline."""
    _tools()
    design = case("jet_mlp").design(io=io)
    x = np.random.default_rng(5).uniform(-4, 4, (5, 16)).astype(np.float32)
    got = _csim_outputs(design, tmp_path / "vitis", 5, 256, pack, x)
    np.testing.assert_array_equal(got[0].reshape(5, -1), np.asarray(design.simulate(x), dtype=np.float64))
    network = (tmp_path / "vitis" / "network" / "kernel.cpp").read_text()
    assert ("hls::stream<" in network) == (io == "stream")
    kernel = (tmp_path / "vitis" / "kernel.cpp").read_text()
    loop_pragma = kernel.split("L_batch")[1].splitlines()[1]
    assert ("#pragma HLS PIPELINE II=1" in loop_pragma) == (io == "parallel" and pack == "sample")
    assert ("#pragma HLS DATAFLOW" in loop_pragma) == (io == "stream" and pack == "sample")
    if pack == "sample":  # the read and write processes: not inlined in a dataflow loop, inlined in a pipeline
        assert ("#pragma HLS INLINE off" in kernel) == (io == "stream")


def test_vitis_files_link_config_and_host(tmp_path):
    _tools()
    design = case("dense_8").design(precision="ap_fixed<12,4>")
    project = emit_vitis(
        design, tmp_path / "vitis", batch=4, compute_units=3, banks=("HBM[0]", "HBM[1]"), axi_width=64, pack=True
    )
    name = kernel_name(design)
    kernel = (project / "kernel.cpp").read_text()
    assert f'extern "C" void {name}(const word_t* in0, word_t* out0, int batch)' in kernel
    for pragma in (
        "#pragma HLS INTERFACE mode=m_axi port=in0 bundle=gmem0 offset=slave",
        "#pragma HLS INTERFACE mode=m_axi port=out0 bundle=gmem1 offset=slave",
        "#pragma HLS INTERFACE mode=s_axilite port=return",
        "typedef ap_uint<64> word_t;",
        "in0_lane == 5",  # five 12-bit values in a 64-bit word
    ):
        assert pragma in kernel, pragma
    link = (project / "link.cfg").read_text().splitlines()
    assert f"nk={name}:3:{name}_1.{name}_2.{name}_3" in link
    assert f"sp={name}_1.in0:HBM[0]" in link and f"sp={name}_2.out0:HBM[1]" in link
    assert f"sp={name}_3.in0:HBM[0]" in link
    makefile = (project / "Makefile").read_text()
    for target in ("csim:", "sw_emu hw_emu:", "hw:", "$(VPP) -c", "$(VPP) -l", "--config link.cfg"):
        assert target in makefile, target
    host = (project / "host.cpp").read_text()
    for call in ("xrt::device device(0)", "load_xclbin", "xrt::bo", "XCL_BO_SYNC_BO_TO_DEVICE", ".wait()"):
        assert call in host, call
    if not (XRT_INCLUDE / "xrt" / "xrt_kernel.h").exists():
        pytest.skip("XRT's headers are not installed (apt-get install libxrt-dev): host.cpp not compiled")
    result = subprocess.run(
        ["g++", "-std=c++17", "-fsyntax-only", f"-I{XRT_INCLUDE}", str(project / "host.cpp")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"batch": 0}, "batch must be"),
        ({"batch": 2, "compute_units": 0}, "compute_units must be"),
        ({"batch": 2, "banks": ("DDR0",)}, "bad memory bank"),
        ({"batch": 2, "axi_width": 100}, "axi_width must be"),
        ({"batch": 2, "inputs": [np.zeros((3, 8), np.float32)]}, "samples each"),
    ],
)
def test_vitis_bad_options_are_named(tmp_path, options, message):
    design = case("dense_8").design(precision="ap_fixed<16,6>")
    with pytest.raises(ValueError, match=message):
        emit_vitis(design, tmp_path / "vitis", **options)


def test_vitis_float_design_is_refused(tmp_path):
    design = case("dense_8").design(precision="float32")
    with pytest.raises(ValueError, match="fixed-point"):
        emit_vitis(design, tmp_path / "vitis", batch=2)


def test_deployment_emits_its_vitis_export(tmp_path):
    """deployment.emit("vitis", ...) writes the export with the deployment's batch, compute units,
    banks, AXI width and packing; its csim batch run passes."""
    _tools()
    from fpgalab.cloud import deploy

    design = case("jet_mlp").design(precision="ap_fixed<16,6>", device="xcvu9p", clock_mhz=250)
    deployment = deploy(design, "aws-f1", batch=7, compute_units=2, banks=("DDR[1]", "DDR[3]"), axi_width=256)
    project = deployment.emit("vitis", tmp_path / "vitis")
    name = kernel_name(design)
    link = (project / "link.cfg").read_text().splitlines()
    assert f"nk={name}:2:{name}_1.{name}_2" in link
    assert f"sp={name}_1.in0:DDR[1]" in link and f"sp={name}_2.out0:DDR[3]" in link
    assert "typedef ap_uint<256> word_t;" in (project / "kernel.cpp").read_text()
    assert "static const int BATCH = 7;" in (project / "host.cpp").read_text()
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout and "ran 7 samples" in result.stdout
