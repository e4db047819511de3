"""fpgalab.explore and the HLS options of fpgalab.compile on captured Keras models."""

import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import fpgalab  # noqa: E402
from examples import models  # noqa: E402

pytestmark = pytest.mark.tf

LENET_SPACE = {  # 5 x 5 x 2 x 2 x 2 = 200 points
    "parallelism": [
        {"default": d, "conv1": c, "conv2": c} for c in (1, 5, 25, 150, 600) for d in (1, 8, 64, 512, 4096)
    ],
    "partition": ["auto", "none"],
    "precision": ["ap_fixed<16,6>", "ap_fixed<8,3>"],
    "pipeline": [True, 2],
}


@pytest.fixture(scope="module")
def lenet():
    return models.get("lenet5")


def test_explore_lenet5_200_points_in_10_seconds(lenet):
    start = time.perf_counter()
    result = fpgalab.explore(
        lenet.fn, *lenet.args, space=LENET_SPACE, objective="latency", constraints={"device": "xcvu9p", "max_util": 0.8}
    )
    elapsed = time.perf_counter() - start
    assert result.points == 200 and result.failed == 0
    assert elapsed <= 10.0, f"{result.points} points took {elapsed:.1f} s"
    table = result.table
    assert len(table) == 200 and {"cycles", "interval", "lut", "ff", "dsp", "bram", "util_max", "pareto"} <= set(table)
    best = result.best
    assert best["feasible"] and best["util_max"] <= 0.8
    assert best["cycles"] == table[table.feasible]["cycles"].min()
    front = result.pareto
    assert len(front) >= 2 and table.pareto.sum() == len(front)
    assert best["cycles"] == front["cycles"].min() or best["util_max"] <= 0.8
    naive = fpgalab.compile(lenet.fn, *lenet.args, pipeline=False, partition="none", dataflow=False).report()
    assert naive.cycles / best["cycles"] > 100
    design = result.design(best)
    assert design.report().cycles == best["cycles"]


def test_a_failing_point_is_reported_and_exploration_goes_on(lenet):
    result = fpgalab.explore(lenet.fn, *lenet.args, space={"unroll": [1, 3, {"fc1": 4}, {"nolayer": 2}]})
    status = list(result.table["status"])
    assert status[0] == "ok" and status[2] == "ok"
    assert status[1].startswith("error: unroll factor 3") or "does not divide" in status[1]
    assert "names no layer" in status[3] and result.failed == 2


def test_accuracy_joins_the_front_when_data_is_given():
    digits = models.get("digits_mlp")
    _, x_test, _, y_test = models.digits_data()
    result = fpgalab.explore(
        digits.fn,
        *digits.args,
        data=(x_test[:300], y_test[:300]),
        space={"precision": ["ap_fixed<16,6>", "ap_fixed<8,3>", "ap_fixed<6,2>"], "reuse": [1, 4, 16]},
    )
    table = result.table
    assert "accuracy" in table and table["accuracy"].between(0, 1).all()
    per_precision = table.groupby("precision")["accuracy"].nunique()
    assert (per_precision == 1).all()  # simulated once per precision
    assert table[table.precision == "ap_fixed<16,6>"]["accuracy"].iloc[0] > 0.9
    overflow = table.groupby("precision")["overflow"].first()
    assert overflow["ap_fixed<16,6>"] == 0.0 and overflow["ap_fixed<6,2>"] > 0.0  # the narrow type wraps


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"space": {"speed": [1]}}, "not a compile option"),
        ({"space": {"reuse": []}}, "non-empty list"),
        ({"space": {"reuse": [1]}, "constraints": {"area": 1}}, "unknown constraint"),
        ({"space": {"reuse": [1]}, "objective": "beauty"}, "objective must be one of"),
        ({"space": {"reuse": [1]}, "constraints": {"device": "nope"}}, "unknown device"),
    ],
)
def test_explore_argument_errors(lenet, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fpgalab.explore(lenet.fn, *lenet.args, **kwargs)


def test_compile_takes_hls_options_per_layer(lenet):
    d = fpgalab.compile(
        lenet.fn,
        *lenet.args,
        reuse={"fc1": 8},
        unroll={"conv1": {"k0": 5, "k1": 5}},
        pipeline={"fc2": 2},
        storage={"fc1": "lutram"},
        fifo_depth=4,
    )
    report = d.report()
    assert report.layer("conv1").copies == 25 and report.layer("fc2").ii == 2
    assert d.schedule.buffer("lenet5_fc1_kernel").storage == "lutram"
    assert report.fits and report.cycles < fpgalab.compile(lenet.fn, *lenet.args).report().cycles
    with pytest.raises(ValueError, match="reuse override 'dense_9' names no layer"):
        fpgalab.compile(lenet.fn, *lenet.args, reuse={"dense_9": 4})


def test_any_reuse_factor_compiles_with_the_closest_valid_one(lenet):
    # LeNet-5's fc1 has 400 inputs per output: 7 is no divisor, 8 is the closest valid factor
    report = fpgalab.compile(lenet.fn, *lenet.args, reuse={"fc1": 7}).report()
    assert report.layer("fc1").reuse == 8
    assert any("reuse factor 7" in w and "using 8" in w for w in report.warnings)
    assert [row["reuse"] for row in report.rows() if row["node"] == report.layer("fc1").name] == [8]
    # design-wide reuse=4: conv1 (25 taps) takes 5, fc1 (400 inputs) takes 4 as asked
    report = fpgalab.compile(lenet.fn, *lenet.args, reuse=4).report()
    assert report.layer("conv1").reuse == 5 and report.layer("fc1").reuse == 4


def test_a_design_that_does_not_fit_is_reported_not_refused(lenet):
    d = fpgalab.compile(lenet.fn, *lenet.args, device="xc7z020", parallelism="full")
    report = d.report()
    assert not d.fits and not report.fits
    assert any("layer" in w for w in report.warnings)


def test_explore_builds_each_point_as_compile_does_batchnorm_included():
    """hls4ml's architectures keep BatchNormalization a layer (tables='hls4ml'), fpgalab's folds it:
    an explore point equals the design compile builds with the same options, bit for bit."""
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.Dense(3),
        ]
    )
    bn = model.layers[1]
    bn.set_weights([np.full(8, 1.7), np.full(8, 0.3), np.full(8, -0.2), np.full(8, 0.6)])
    x = np.random.default_rng(1).normal(size=(64, 6)).astype(np.float32)
    result = fpgalab.explore(model, x[:1], space={"io": ["layered", "parallel"]}, precision="ap_fixed<12,4>")
    assert result.points == 2 and result.failed == 0
    for point in range(result.points):
        design = result.design(point)
        alone = fpgalab.compile(model, x[:1], precision="ap_fixed<12,4>", io=design.options.io)
        np.testing.assert_array_equal(design.simulate(x), alone.simulate(x))


def test_explore_from_a_design_starts_from_its_options(lenet):
    """A Design's architecture, part and types are the base; the space changes only what it names."""
    design = fpgalab.compile(lenet.fn, *lenet.args, io="stream", device="xcu250", precision="ap_fixed<12,5>")
    result = fpgalab.explore(design, space={"reuse": [2, 4]})
    assert result.failed == 0
    for point in range(result.points):
        options = result.design(point).options
        assert (options.io, options.device, options.precision_spec) == ("stream", "xcu250", "ap_fixed<12,5>")
    assert {result.design(p).options.reuse for p in range(result.points)} == {2, 4}
