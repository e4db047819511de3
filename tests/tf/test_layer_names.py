"""Per-layer options reach exactly the Keras layer they name, whatever kind of model it is (issue 12):
Keras 3 scopes ops by call name, so a layer named ``dense`` runs under ``dense_1`` when another layer
is named ``dense_1``; capture scopes each layer's call with its own marker instead."""

from __future__ import annotations

import numpy as np
import pytest

import fpgalab

pytestmark = pytest.mark.tf


def _sequential():
    import keras  # noqa: PLC0415

    return keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(6, name="dense"),
            keras.layers.Dense(4, name="dense_1"),
            keras.layers.Dense(3, name="dense_2"),
        ]
    )


def _functional():
    import keras  # noqa: PLC0415

    x = keras.Input((8,))
    a = keras.layers.Dense(6, name="dense")(x)
    b = keras.layers.Dense(4, name="dense_1")(a)
    return keras.Model(x, keras.layers.Dense(3, name="dense_2")(b))


def _subclassed():
    import keras  # noqa: PLC0415

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.first = keras.layers.Dense(6, name="dense")
            self.second = keras.layers.Dense(4, name="dense_1")
            self.third = keras.layers.Dense(3, name="dense_2")

        def call(self, x):
            return self.third(self.second(self.first(x)))

    net = Net()
    net(np.zeros((1, 8), np.float32))
    return net


def _nested():
    import keras  # noqa: PLC0415

    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="dense_1")], name="inner")
    x = keras.Input((8,))
    return keras.Model(x, keras.layers.Dense(3, name="dense_2")(inner(keras.layers.Dense(6, name="dense")(x))))


@pytest.mark.parametrize("build", [_sequential, _functional, _subclassed, _nested])
def test_each_override_reaches_exactly_its_layer(build):
    model = build()
    x = np.zeros((1, 8), np.float32)
    design = fpgalab.compile(model, x, precision={"dense": "ap_fixed<8,3>"}, reuse={"dense_1": 2})
    dots = {node.layer: node for node in design.kernel.nodes if node.__class__.__name__ == "Dot"}
    assert sorted(dots) == ["dense", "dense_1", "dense_2"]
    assert str(dots["dense"].dtype) == "ap_fixed<8,3>"
    assert str(dots["dense_1"].dtype) == str(dots["dense_2"].dtype) == "ap_fixed<16,6>"
    assert dots["dense_1"].directives.reuse == 2 and not dots["dense"].directives.reuse
    assert [row["layer"] for row in design.report().rows()] == ["dense", "dense_1", "dense_2"]


def test_a_shared_layer_is_one_layer_name():
    import keras  # noqa: PLC0415

    shared = keras.layers.Dense(8, name="shared")
    x = keras.Input((8,))
    model = keras.Model(x, keras.layers.Dense(2, name="head")(shared(shared(x))))
    design = fpgalab.compile(model, np.zeros((1, 8), np.float32), precision={"shared": "ap_fixed<10,4>"})
    layers = [(node.layer, str(node.dtype)) for node in design.kernel.nodes if node.__class__.__name__ == "Dot"]
    assert layers == [("shared", "ap_fixed<10,4>"), ("shared", "ap_fixed<10,4>"), ("head", "ap_fixed<16,6>")]


def test_report_has_one_row_per_keras_layer_and_the_nodes_on_demand():
    """A softmax is one layer of the report (four nodes inside it, shown with nodes=True)."""
    import keras  # noqa: PLC0415

    model = keras.Sequential(
        [keras.Input((16,)), keras.layers.Dense(10, name="logits"), keras.layers.Softmax(name="probs")]
    )
    report = fpgalab.compile(model, np.zeros((1, 16), np.float32)).report()
    rows = report.rows()
    assert [row["layer"] for row in rows] == ["logits", "probs"]
    probs = rows[1]
    nodes = [row for row in report.rows(nodes=True) if row["layer"].startswith("probs/")]
    assert probs["nodes"] == len(nodes) == 4
    for kind in ("lut", "ff", "dsp", "bram"):
        assert probs[kind] == sum(row[kind] for row in nodes)
    assert probs["cycles"] == max(row["end"] for row in nodes) - min(row["start"] for row in nodes)
    assert sum(row["lut"] for row in rows) == report.resources.lut
    text = report.table()
    assert "\nprobs " in text and "probs/" not in text and "probs/" in report.table(nodes=True)
    assert len(report.to_frame()) == 2 and len(report.to_frame(nodes=True)) == 5
