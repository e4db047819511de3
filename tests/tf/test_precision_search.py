"""Mixed-precision search on the digits MLP (trained weights, scikit-learn's digits): narrower types per
layer within the loss budget, fewer LUT+DSP than uniform ap_fixed<16,6> in hls4ml's io_parallel
architecture, a reusable precision dict, and clear errors for bad arguments."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import fpgalab
from examples import models

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def digits():
    example = models.get("digits_mlp")
    _, x_test, _, y_test = models.digits_data()
    return example, x_test, y_test


@pytest.fixture(scope="module")
def searched(digits):
    example, x_test, y_test = digits
    return fpgalab.search_precision(example.fn, *example.args, data=(x_test, y_test), loss=0.01, io="parallel")


def test_the_chosen_design_is_within_the_loss_budget_and_smaller(searched, digits):
    _, x_test, y_test = digits
    assert searched.float_accuracy - searched.accuracy <= 0.01
    measured = np.mean(np.argmax(searched.design.simulate(x_test), axis=1) == y_test)
    assert measured == pytest.approx(searched.accuracy)
    assert searched.saving(("lut", "dsp")) >= 0.30  # the target against uniform ap_fixed<16,6>
    assert searched.chosen["dsp"] < searched.baseline["dsp"] and searched.chosen["lut"] < searched.baseline["lut"]


def test_every_layer_gets_narrower_types_whose_integer_bits_hold_its_values(searched):
    assert [c.layer for c in searched.layers] == ["dense_1", "dense_2", "dense_3"]
    for choice in searched.layers:
        for role, text in choice.types.items():
            width, integer = (int(v) for v in text.split("<")[1].split(">")[0].split(",")[:2])
            assert width < 16, (choice.layer, role, text)
            largest = choice.largest_weight if role == "weight" else choice.largest_result
            assert 2.0 ** (integer - 1) > largest  # the sign bit and the integer bits hold the largest value


def test_the_precision_dict_rebuilds_the_same_design(searched, digits):
    example, x_test, _ = digits
    again = fpgalab.compile(example.fn, *example.args, precision=searched.precision, io="parallel")
    assert again.report().resources == searched.design.report().resources
    assert np.array_equal(again.simulate(x_test[:50]), searched.design.simulate(x_test[:50]))
    assert "dense_1" in searched.table() and len(searched.rows()) == 3


def test_a_budget_of_zero_keeps_the_float_accuracy(digits):
    """With no loss allowed the search still narrows what does not change a single prediction's class."""
    example, x_test, y_test = digits
    strict = fpgalab.search_precision(example.fn, *example.args, data=(x_test, y_test), loss=0.0, io="parallel")
    assert strict.accuracy >= strict.float_accuracy
    assert strict.chosen["lut"] + strict.chosen["dsp"] < strict.baseline["lut"] + strict.baseline["dsp"]


@pytest.mark.tools
def test_the_mixed_precision_design_builds_and_matches_in_csim(searched, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from test_hls_cpp import _csim  # noqa: PLC0415

    assert "#pragma HLS" in _csim(searched.design, tmp_path / "hls")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"data": "x"}, "data must be (x, y) or (x,)"),
        ({"loss": 1.5}, "loss must be an accuracy drop between 0 and 1"),
        ({"roles": ("bias",)}, "roles must be some of weight, result, accum"),
        ({"start_width": 80}, "widths must satisfy"),
        ({"objective": "area"}, "objective must be one of lut+dsp, lut+dsp count"),
    ],
)
def test_bad_arguments_are_named(digits, kwargs, message):
    example, x_test, y_test = digits
    arguments = {"data": (x_test, y_test), **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        fpgalab.search_precision(example.fn, *example.args, **arguments)


def test_the_count_objective_keeps_the_plain_count_low(digits, searched):
    """By count the search keeps wide multiplies on DSPs; by shares it frees DSPs for LUTs."""
    example, x_test, y_test = digits
    by_count = fpgalab.search_precision(
        example.fn, *example.args, data=(x_test, y_test), loss=0.01, io="parallel", objective="lut+dsp count"
    )
    assert by_count.float_accuracy - by_count.accuracy <= 0.01
    count = by_count.chosen["lut"] + by_count.chosen["dsp"]
    assert count <= 0.7 * (by_count.baseline["lut"] + by_count.baseline["dsp"])
    assert by_count.chosen["dsp"] >= searched.chosen["dsp"]
