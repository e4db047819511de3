"""HLS C++ backend: the exported Vitis HLS project builds with g++ against the open-source ap_types
headers and passes its own testbench (the simulator's outputs, bit-exact in fixed point)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import case

from fpgalab.backends import emit

pytestmark = pytest.mark.tools

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"


def _csim(design, folder: Path) -> str:
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed (apt-get install g++)")
    if not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("ap_types headers missing: run `make setup` (scripts/fetch_ap_types.py)")
    project = emit(design, "hls", folder)
    result = subprocess.run(
        ["make", "-s", "-C", str(project), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PASS" in result.stdout
    return (project / "kernel.cpp").read_text()


def test_hls_project_files(tmp_path):
    design = case("lenet5").design(unroll={"fc1": 4}, pipeline={"fc2": False})
    project = emit(design, "hls", tmp_path / "prj")
    names = sorted(p.name for p in project.iterdir())
    assert names == [
        ".fpgalab-export.json",
        "Makefile",
        "fpgalab_support.h",
        "kernel.cpp",
        "kernel.h",
        "run_hls.tcl",
        "tb.cpp",
        "tb_data.h",
        "weights",
    ]
    kernel = (project / "kernel.cpp").read_text()
    for pragma in (
        "#pragma HLS PIPELINE II=1",
        "#pragma HLS UNROLL factor=4",
        "#pragma HLS DATAFLOW",
        "#pragma HLS INTERFACE mode=ap_memory",
        "#pragma HLS ARRAY_PARTITION",
        "#pragma HLS PIPELINE off",
    ):
        assert pragma in kernel, pragma
    tcl = (project / "run_hls.tcl").read_text()
    for step in ("csim_design", "csynth_design", "cosim_design", "export_design", "set_part {xcvu9p"):
        assert step in tcl


@pytest.mark.parametrize(
    "name,precision",
    [
        ("softmax_8", "ap_fixed<16,6>"),
        ("softmax_64", "ap_fixed<16,6>"),  # the sum typed for 64 classes, the reciprocal table widened to reach it
        ("conv2d_8", "ap_fixed<16,6>"),
        ("chain_8", "ap_fixed<12,4,AP_RND_CONV,AP_SAT>"),
        ("conv2d_8", "float32"),
        # 48- and 64-bit types: products of 96 and 128 bits, simulated on Python integers, against ap_fixed.h
        ("dense_8", {"default": "ap_fixed<48,16>", "accum": "ap_fixed<64,24>"}),
        ("conv2d_8", {"default": "ap_fixed<64,20,AP_RND_CONV,AP_SAT>", "accum": "ap_fixed<64,24,AP_RND,AP_SAT>"}),
        ("softmax_8", {"default": "ap_fixed<48,16>", "accum": "ap_fixed<64,30>"}),
        ("chain_8", "ap_ufixed<64,8,AP_RND_INF,AP_SAT_SYM>"),
    ],
)
def test_hls_csim_matches_simulator(tmp_path, name, precision):
    _csim(case(name).design(precision=precision), tmp_path / "prj")


@pytest.mark.slow
def test_hls_csim_lenet5_unrolled(tmp_path):
    kernel = _csim(case("lenet5").design(unroll={"conv1": {"k1": 5}, "fc1": 8}), tmp_path / "prj")
    assert "#pragma HLS UNROLL" in kernel


@pytest.mark.parametrize(
    "name, options",
    [
        ("jet_mlp", {"reuse": 1}),
        ("jet_mlp", {"reuse": 4, "precision": {"default": "ap_fixed<16,6>", "accum": "ap_fixed<16,6>"}}),
        ("lenet5", {"reuse": 2}),
    ],
)
def test_io_parallel_project_builds_and_matches_the_simulator(tmp_path, name, options):
    """hls4ml's io_parallel architecture: the C++ that was estimated, bit-exact under g++."""
    design = case(name).design(io="parallel", **options)
    kernel = _csim(design, tmp_path / "prj")
    assert "#pragma HLS DATAFLOW" not in kernel
    assert kernel.count("#pragma HLS UNROLL") >= len(design.kernel.nodes)
    assert f"#pragma HLS PIPELINE II={options['reuse']}" in kernel
    if options["reuse"] > 1:
        assert "#pragma HLS ALLOCATION operation instances=mul limit=" in kernel


def test_io_parallel_resource_strategy_puts_weights_in_block_ram(tmp_path):
    design = case("jet_mlp").design(io="parallel", strategy="resource", reuse=4)
    kernel = _csim(design, tmp_path / "prj")
    assert kernel.count("type=rom_np impl=bram") == 4  # the four dense layers' weights


@pytest.mark.parametrize("name", ["jet_mlp", "lenet5", "conv2d_8", "maxpool_32", "mobilenet_v1_small"])
def test_io_stream_project_builds_and_matches_the_simulator(tmp_path, name):
    """hls4ml's io_stream architecture: dataflow processes over pixel streams (line-buffered
    convolutions and pooling, padding inserted as pixels arrive), bit-exact under g++."""
    design = case(name).design(io="stream")
    kernel = _csim(design, tmp_path / "prj")
    assert "#pragma HLS DATAFLOW" in kernel and "hls::stream<word_" in kernel
    if name in ("lenet5", "conv2d_8", "mobilenet_v1_small"):
        assert "static fixed_16_6_t lb[" in kernel  # a line buffer


def test_hls4ml_precision_narrow_accumulators_match_the_ap_types_headers(tmp_path):
    """The simulator's one-sum path for a narrow AP_WRAP accumulator against g++ and ap_fixed.h."""
    design = case("jet_mlp").design(precision={"default": "ap_fixed<16,6>", "accum": "ap_fixed<16,6>"})
    _csim(design, tmp_path / "prj")
