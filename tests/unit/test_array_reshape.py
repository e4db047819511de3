"""ARRAY_RESHAPE (``reshape=``): a partitioned buffer's banks packed into one memory's words, priced,
scheduled and emitted as Vitis builds it."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import case
from hls_kernels import dense

from fpgalab.estimate.resources import estimate_resources
from fpgalab.ir import nodes as ir
from fpgalab.ir.printer import format_kernel
from fpgalab.ir.serialize import kernel_from_dict, kernel_to_dict
from fpgalab.options import parse_options
from fpgalab.passes import hls_passes, run_pipeline
from fpgalab.passes.array_reshape import ArrayReshape
from fpgalab.schedule import access as acc
from fpgalab.schedule import schedule_kernel

NARROW = {"default": "ap_fixed<8,4>", "weight": "ap_fixed<2,1>"}
AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"


def _scheduled(kernel, **options):
    opts = parse_options(device="xcu250", **options)
    directed, _ = run_pipeline(kernel, hls_passes(opts))
    return directed, schedule_kernel(directed, "xcu250", opts.clock_mhz)


def _memory_uram(schedule, buffer: str) -> float:
    items = [i for layer in estimate_resources(schedule).per_layer for i in layer.items]
    return sum(i.each.uram * i.count for i in items if i.group == "memories" and i.what.split()[1] == buffer)


def test_pass_sets_the_weights_and_named_buffers():
    kernel = ArrayReshape(True).run(dense())
    assert kernel.buffer_spec("w").reshape and kernel.buffer_spec("b").reshape
    assert not kernel.buffer_spec("x").reshape
    kernel = ArrayReshape(False, (("fc", True), ("x", True))).run(dense())
    assert kernel.buffer_spec("w").reshape and kernel.buffer_spec("x").reshape
    assert kernel_from_dict(kernel_to_dict(kernel)) == kernel
    directed, _ = _scheduled(dense(), parallelism=8, reshape=True)
    assert "buffer w: reshape 0:cyclic/8" in format_kernel(directed)


def test_words_and_the_busiest_word():
    shape, cyclic, block = (16,), (ir.PartitionSpec("cyclic", 4),), (ir.PartitionSpec("block", 4),)
    assert acc.word_of((np.arange(16),), shape, cyclic).tolist() == [k // 4 for k in range(16)]
    assert acc.word_of((np.arange(16),), shape, block).tolist() == [k % 4 for k in range(16)]
    assert acc.busiest_bank([(np.arange(4),)], shape, cyclic, reshape=True) == (4, 1)  # one aligned word
    assert acc.busiest_bank([(np.arange(2, 6),)], shape, cyclic, reshape=True) == (4, 2)  # straddles two
    assert acc.busiest_bank([(np.arange(2, 6),)], shape, cyclic) == (4, 1)  # as banks: one element each


def test_reshaped_weights_take_one_wide_memory_at_the_same_ii():
    kernel = dense(256, 64, NARROW)
    _, plain = _scheduled(kernel, precision=NARROW, parallelism=32, storage="uram")
    _, packed = _scheduled(kernel, precision=NARROW, parallelism=32, storage="uram", reshape=True)
    w_plain, w_packed = plain.buffer("w"), packed.buffer("w")
    assert w_plain.banks == w_packed.banks == 32 and w_packed.reshape and not w_plain.reshape
    assert w_packed.memories == 1 and w_packed.word_width == 32 * w_packed.width == 64
    assert _memory_uram(plain, "w") == 32  # a 4K x 72 UltraRAM for each 2-bit bank
    assert _memory_uram(packed, "w") == math.ceil(64 / 72) * math.ceil(w_packed.bank_depth / 4096) == 1
    assert [layer.ii for layer in plain.layers] == [layer.ii for layer in packed.layers] == [1]
    assert [layer.cycles for layer in plain.layers] == [layer.cycles for layer in packed.layers]


def test_unpartitioned_and_register_buffers_are_left_alone():
    _, schedule = _scheduled(dense(16, 4), reshape=True)  # no parallelism: one bank
    assert not schedule.buffer("w").reshape and schedule.buffer("w").memories == 1
    _, schedule = _scheduled(dense(16, 4), parallelism="full", reshape=True)
    assert schedule.buffer("w").storage == "reg" and not schedule.buffer("w").reshape


def test_bad_reshape_options():
    with pytest.raises(ValueError, match="reshape must be True or False, got 'yes'"):
        parse_options(reshape="yes")
    with pytest.raises(ValueError, match=r"reshape\['fc1'\] must be True or False"):
        parse_options(reshape={"fc1": 1})
    with pytest.raises(ValueError, match="reshape applies to io='layered'"):
        parse_options(reshape=True, io="parallel")
    with pytest.raises(ValueError, match="reshape"):
        _scheduled(dense(), reshape={"no_such_layer": True})


def test_hls_project_reshapes_and_still_simulates(tmp_path):
    design = case("lenet5").design(parallelism=4, reshape=True, storage="bram")
    assert any(b.reshape for b in design.schedule.buffers)
    folder = design.emit("hls", tmp_path / "proj")
    source = "\n".join(p.read_text() for p in Path(folder).rglob("*.cpp"))
    reshaped = [b.name for b in design.schedule.buffers if b.reshape]
    assert "lenet5_fc1_kernel" in reshaped and "lenet5_conv2_kernel" in reshaped
    for name in reshaped:
        assert f"ARRAY_RESHAPE variable={name} " in source and f"ARRAY_PARTITION variable={name} " not in source
    assert "ARRAY_PARTITION variable=Relu_14 " in source  # activations keep their banks
    assert design.to_json() and type(design).from_json(design.to_json()).schedule.buffers == design.schedule.buffers
    if shutil.which("g++") is None or not (AP_TYPES / "ap_fixed.h").exists():
        pytest.skip("g++ or the ap_types headers (make setup) are missing")
    run = subprocess.run(
        ["make", "-s", "-C", str(folder), "csim", f"AP_TYPES={AP_TYPES}"], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0 and "PASS" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


def test_explore_sweeps_reshape():
    import fpgalab  # noqa: PLC0415

    design = case("lenet5").design(precision=NARROW, parallelism=8, storage="uram", device="xcu250")
    table = fpgalab.explore(design, space={"reshape": [False, True]}).table
    plain, packed = (table[table.reshape == value].iloc[0] for value in (False, True))
    assert packed.uram < plain.uram and packed.interval == plain.interval
