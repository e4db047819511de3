"""fpgalab.explore sweeping sparsity and precision together on the shipped digits MLP (trained weights,
scikit-learn's digits) in io_parallel: resources never rise with sparsity at equal precision, the
Pareto front of accuracy against resources mixes sparsities, and each row's accuracy is that of the
pruned design fpgalab.sparsify makes; fpgalab.search_precision takes a sparsified Design."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import fpgalab  # noqa: E402
from examples import models  # noqa: E402
from fpgalab.sparsify.apply import layer_weights  # noqa: E402

pytestmark = pytest.mark.tf

SPARSITIES = [0.0, 0.5, 0.8]
PRECISIONS = ["ap_fixed<16,6>", "ap_fixed<12,5>"]
# fpgalab's tables: hls4ml's (io="parallel"'s default) give the softmax coarser outputs whose top scores tie
# on some samples, and explore's accuracy column (argmax, the first of tied classes wins) and sparsify's
# top-1 (a tie counts against the label) score those differently
TABLES = "fpgalab"


@pytest.fixture(scope="module")
def digits():
    example = models.get("digits_mlp")
    _, x_test, _, y_test = models.digits_data()
    return example, (x_test, y_test)


@pytest.fixture(scope="module")
def swept(digits):
    example, data = digits
    return fpgalab.explore(
        example.fn,
        *example.args,
        space={"sparsity": SPARSITIES, "precision": PRECISIONS},
        data=data,
        io="parallel",
        tables=TABLES,
    )


def test_resources_never_rise_with_sparsity_at_equal_precision(swept):
    table = swept.table
    assert swept.failed == 0 and len(table) == len(SPARSITIES) * len(PRECISIONS)
    assert sorted(set(table["sparsity"])) == SPARSITIES
    for precision in PRECISIONS:
        rows = table[table.precision == precision].sort_values("sparsity")
        for kind in ("dsp", "lut"):
            values = list(rows[kind])
            assert values == sorted(values, reverse=True), (precision, kind, values)
        assert rows["lut"].iloc[-1] < rows["lut"].iloc[0] / 2  # io_parallel drops the multipliers of zeros


def test_the_pareto_front_mixes_sparsities_and_the_rows_designs_are_pruned(swept):
    front = swept.pareto
    assert front["sparsity"].nunique() >= 2, front[["sparsity", "precision", "util_max", "accuracy"]]
    for _, row in swept.table.iterrows():
        design = swept.design(int(row["point"]))
        weights = list(layer_weights(design.float_kernel).values.values())  # the kernels sparsify prunes
        zeros = sum(int(np.size(w) - np.count_nonzero(w)) for w in weights) / sum(int(np.size(w)) for w in weights)
        assert zeros == pytest.approx(row["sparsity"], abs=5e-3)


def test_the_accuracy_column_is_sparsifys_on_the_same_data(swept, digits):
    example, data = digits
    table = swept.table
    for sparsity in SPARSITIES[1:]:
        for precision in PRECISIONS:
            result = fpgalab.sparsify(
                example.fn, *example.args, target=sparsity, data=data, io="parallel", precision=precision, tables=TABLES
            )
            row = table[(table.sparsity == sparsity) & (table.precision == precision)].iloc[0]
            assert row["accuracy"] == pytest.approx(result.accuracy_after["top1"], abs=1e-12)
            assert row["dsp"] == result.design.report().resources.dsp


def test_sparsity_with_the_scan_measures_on_the_labels(digits):
    example, (x, y) = digits
    result = fpgalab.explore(
        example.fn,
        *example.args,
        space={"sparsity": [0.6]},
        data=(x[:200], y[:200]),
        sparsity_method="scan",
        io="parallel",
        tables=TABLES,
    )
    row = result.table.iloc[0]
    scan = fpgalab.sparsify(
        example.fn, *example.args, method="scan", target=0.6, data=(x[:200], y[:200]), io="parallel", tables=TABLES
    )
    assert row["status"] == "ok" and row["accuracy"] == pytest.approx(scan.accuracy_after["top1"], abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"space": {"sparsity": [0.5, 1.0]}}, r"sparsities in \[0, 1\)"),
        ({"space": {"sparsity": ["half"]}}, r"sparsities in \[0, 1\)"),
        ({"space": {"sparsity": [0.5]}, "sparsity_method": "random"}, "not a sparsify method"),
        ({"space": {"sparsity": [0.5]}, "sparsity_method": "scan"}, "labelled data"),
        ({"space": {"sparsify": [0.5]}}, "'sparsity'"),
    ],
)
def test_bad_sparsity_arguments_say_what_is_allowed(digits, kwargs, message):
    example, _ = digits
    with pytest.raises(ValueError, match=message):
        fpgalab.explore(example.fn, *example.args, io="parallel", **kwargs)


def test_search_precision_takes_a_sparsified_design(digits):
    example, (x, y) = digits
    pruned = fpgalab.sparsify(example.fn, *example.args, target=0.6, data=(x, y), io="parallel")
    searched = fpgalab.search_precision(pruned.design, data=(x, y), loss=0.01)
    assert searched.float_accuracy - searched.accuracy <= 0.01
    assert searched.design.options.io == pruned.design.options.io
    constants = {c.name: c.value for c in searched.design.float_kernel.constants if c.role == "weight"}
    for name, value in constants.items():  # the searched design keeps the pruned weights
        original = next(c.value for c in pruned.design.float_kernel.constants if c.name == name)
        assert np.array_equal(value, original)
    measured = np.mean(np.argmax(searched.design.simulate(x), axis=1) == y)
    assert measured == pytest.approx(searched.accuracy)
    assert searched.chosen["dsp"] <= searched.baseline["dsp"]
    with pytest.raises(ValueError, match="Design"):
        fpgalab.search_precision(pruned.design, data=(x, y), io="stream")
