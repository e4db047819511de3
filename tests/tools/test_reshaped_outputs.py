"""Keras layers whose output is a reshape, or whose reads sit outside every loop, through all three backends.

UpSampling2D and MaxPooling1D end in a reshape that the RTL stores in its producer's memory;
LayerNormalization and reduce_mean/reduce_variance read a reduced scalar outside any loop. Each
design: LLVM and Verilator equal to the simulator bit for bit (RTL cycles equal too), and the HLS
C++ built by g++ against the ap_types headers equal to it (issue 12, item 2).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_hls_cpp import _csim

import fpgalab

pytestmark = [pytest.mark.tools, pytest.mark.tf]

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _mean_plus_variance(x):
    return tf.reduce_mean(x, axis=1, keepdims=True) + tf.math.reduce_variance(x, axis=1, keepdims=True)


def _cases():
    layers = keras.layers
    return {
        "upsampling2d": (keras.Sequential([keras.Input((4, 4, 2)), layers.UpSampling2D(2)]), (1, 4, 4, 2)),
        "maxpool1d": (keras.Sequential([keras.Input((8, 3)), layers.MaxPooling1D(2)]), (1, 8, 3)),
        "layernorm": (keras.Sequential([keras.Input((8,)), layers.LayerNormalization()]), (1, 8)),
        "mean_variance": (_mean_plus_variance, (1, 8)),
        # a zero padding streamed into an average pooling: a dataflow FIFO, read a cycle after its request
        "padded_avgpool": (
            keras.Sequential([keras.Input((6, 6, 2)), layers.ZeroPadding2D(1), layers.AveragePooling2D(2)]),
            (1, 6, 6, 2),
        ),
    }


@pytest.mark.parametrize("name", ["upsampling2d", "maxpool1d", "layernorm", "mean_variance", "padded_avgpool"])
def test_all_backends_equal_the_simulator(name, tmp_path):
    fn, shape = _cases()[name]
    example = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
    design = fpgalab.compile(fn, example)
    if name == "padded_avgpool":
        assert any(b.channel == "fifo" for b in design.schedule.buffers)
    report = design.verify(rtl=True, samples=3)
    assert report.llvm_equal and report.rtl_equal and report.cycles_equal, report
    _csim(design, tmp_path / "prj")
