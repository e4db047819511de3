"""fpgalab.train: the stale-weight pipeline emulation against hand computation and ordinary training."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.tf

keras = pytest.importorskip("keras")

from examples import models  # noqa: E402
from fpgalab.train import pipelined, split_stages, stage_delays  # noqa: E402
from fpgalab.train.costs import layer_work, speedup, stage_work  # noqa: E402
from fpgalab.train.stale import train_stale  # noqa: E402


def mlp(seed=0):
    keras.utils.set_random_seed(seed)
    layers = keras.layers
    return keras.Sequential(
        [keras.Input((4,)), layers.Dense(8, activation="relu", name="d1"), layers.Dense(3, name="d2")], name="mlp"
    )


def blobs(n=48, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (rng.normal(size=(n, 4)) + y[:, None]).astype(np.float32)
    return x, y


SETTINGS = dict(epochs=3, batch_size=8, learning_rate=0.05, momentum=0.9, seed=3)


def test_delays_follow_the_pipeline_schedule():
    # K = 2k stages; partition i waits 2(k - i) + 1 updates; no register: ordinary training
    assert stage_delays(1) == (0,)
    assert stage_delays(2) == (3, 1)
    assert stage_delays(4) == (7, 5, 3, 1)
    early = split_stages(models.digits_lenet(), boundaries=("conv1",))
    assert [(s.layers, s.delay) for s in early] == [
        (("conv1",), 3),
        (("pool1", "conv2", "flatten", "fc1", "fc2", "fc3"), 1),
    ]
    every = split_stages(models.digits_lenet(), stages=5)
    assert [s.layers for s in every] == [("conv1", "pool1"), ("conv2", "flatten"), ("fc1",), ("fc2",), ("fc3",)]
    assert [s.delay for s in every] == [9, 7, 5, 3, 1]
    assert [s.layers for s in split_stages(models.digits_lenet(), stages=2)] == [
        ("conv1", "pool1", "conv2", "flatten"),
        ("fc1", "fc2", "fc3"),
    ]


@pytest.mark.parametrize("k", [2, 3, 5])
def test_delays_match_a_timetable_of_the_pipeline(k):
    """Play the 2k-stage pipeline step by step: forward of partition i for minibatch t at step
    t + i - 1, its backward at step t + 2k - i, the update landing when that step ends."""
    t = 40  # well past the filling
    for i in range(1, k + 1):
        forward_step = t + i - 1
        landed = sum(1 for earlier in range(t) if earlier + 2 * k - i < forward_step)
        assert t - landed == stage_delays(k)[i - 1]


def test_boundaries_that_leave_a_stage_without_weights_are_refused():
    with pytest.raises(ValueError, match="without a layer with weights"):
        split_stages(models.digits_lenet(), boundaries=("conv1", "pool1"))
    with pytest.raises(ValueError, match="distinct and in forward order"):
        split_stages(models.digits_lenet(), boundaries=("fc1", "conv1"))


def test_delay_zero_is_ordinary_training_exactly():
    x, y = blobs()
    data = (x, y, x, y)
    model = mlp()
    initial = model.get_weights()
    ordinary = train_stale(model, None, data, name="ordinary", **SETTINGS)
    after_ordinary = model.get_weights()
    model.set_weights(initial)
    ring = train_stale(model, [0] * len(model.trainable_variables), data, name="delay 0", **SETTINGS)
    for a, b in zip(after_ordinary, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ordinary.test_accuracy == ring.test_accuracy and ordinary.train_loss == ring.train_loss
    # and both are keras's own SGD over the same minibatches
    model.set_weights(initial)
    optimizer = keras.optimizers.SGD(SETTINGS["learning_rate"], momentum=SETTINGS["momentum"])
    loss_of = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    rng = np.random.default_rng(SETTINGS["seed"])
    import tensorflow as tf

    for _ in range(SETTINGS["epochs"]):
        order = rng.permutation(len(x))
        for start in range(0, len(x), SETTINGS["batch_size"]):
            idx = order[start : start + SETTINGS["batch_size"]]
            with tf.GradientTape() as tape:
                loss = loss_of(y[idx], model(x[idx], training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    for a, b in zip(after_ordinary, model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pipelined_with_one_partition_or_hybrid_at_zero_is_ordinary():
    x, y = blobs()
    one = pipelined(mlp(), stages=1, data=(x, y, x, y), **SETTINGS)
    assert one.pipelined.test_accuracy == one.ordinary.test_accuracy
    assert one.pipelined.train_loss == one.ordinary.train_loss
    hybrid = pipelined(mlp(), stages=2, data=(x, y, x, y), hybrid_after=0, **SETTINGS)
    assert hybrid.pipelined.train_loss == hybrid.ordinary.train_loss
    stale = pipelined(mlp(), stages=2, data=(x, y, x, y), **SETTINGS)
    assert stale.pipelined.train_loss != stale.ordinary.train_loss
    assert [s.delay for s in stale.stages] == [3, 1]
    switched = pipelined(mlp(), stages=2, data=(x, y, x, y), hybrid_after=1, ordinary=False, **SETTINGS)
    assert switched.pipelined.train_loss[0] == stale.pipelined.train_loss[0]  # pipelined for epoch 1
    assert switched.pipelined.train_loss[1:] != stale.pipelined.train_loss[1:]  # then ordinary
    assert switched.ordinary is None
    epochs = SETTINGS["epochs"]
    assert switched.training_speedup == pytest.approx(epochs / (1 / switched.speedup + epochs - 1))
    assert "ordinary after epoch 1" in switched.table() and "not a run on FPGAs" in switched.table()
    figure = stale.figure()
    assert [trace["name"] for trace in figure["data"]] == ["ordinary", stale.pipelined.name]
    assert figure["data"][1]["y"] == [100 * a for a in stale.pipelined.test_accuracy]
    assert switched.figure()["layout"]["shapes"][0]["x0"] == 1  # the switch to ordinary training


@pytest.mark.parametrize("delay", [1, 2])
def test_a_stale_step_uses_the_old_weights(delay):
    """One linear layer W (1x2) on one feature, softmax cross-entropy, plain SGD, minibatches of one:
    w[t+1] = w[t] - lr * x_t (softmax(x_t w[t-delay]) - onehot(y_t)), with w[s] = w[0] for s < 0."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(2, use_bias=False, name="w")])
    w0 = np.array([[0.3, -0.2]], np.float32)
    model.set_weights([w0])
    x = np.array([[1.0], [-2.0], [0.5]], np.float32)
    y = np.array([1, 0, 1])
    lr, epochs, seed = 0.5, 2, 7
    train_stale(
        model,
        [delay],
        (x, y, x, y),
        name="stale",
        epochs=epochs,
        batch_size=1,
        learning_rate=lr,
        momentum=0.0,
        seed=seed,
    )

    def by_hand(d):
        history = [w0.astype(np.float64)]
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            for i in rng.permutation(len(x)):
                old = history[max(len(history) - 1 - d, 0)]
                z = x[i] @ old
                p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
                grad = np.outer(x[i], p - np.eye(2)[y[i]])
                history.append(history[-1] - lr * grad)
        return history[-1]

    np.testing.assert_allclose(model.get_weights()[0], by_hand(delay), rtol=1e-5, atol=1e-6)
    assert not np.allclose(by_hand(delay), by_hand(0), atol=1e-3)  # the staleness matters here


def test_speedup_counts_forward_and_both_gradients():
    model = models.digits_lenet()
    work = layer_work(model)
    by = {w.layer: w for w in work}
    assert by["conv1"].forward > 0 and by["conv1"].weight_gradient == by["conv1"].forward
    assert by["conv1"].input_gradient == 0  # the first layer's input gradient is not needed
    assert by["fc2"].total == 3 * by["fc2"].forward
    assert by["pool1"].weight_gradient == 0 and by["pool1"].input_gradient == by["pool1"].forward
    assert by["flatten"].total == 0
    stages = split_stages(model, stages=2)
    per_stage = stage_work(stages, work)
    assert sum(per_stage) == sum(w.total for w in work)
    assert speedup(per_stage) == pytest.approx(sum(per_stage) / max(per_stage))
    assert 1.0 < speedup(per_stage) <= 2.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(stages=0), "stages=0"),
        (dict(stages=3), "only 2 layers with weights"),
        (dict(stages=2, hybrid_after=5), "hybrid_after=5"),
        (dict(boundaries=("nope",)), "lacks"),
        (dict(boundaries=("d2",)), "last layer"),
        (dict(stages=3, boundaries=("d1",)), "disagrees"),
        (dict(epochs=0), "epochs=0"),
        (dict(learning_rate=-1.0), "learning_rate"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs, message):
    x, y = blobs()
    settings = {**SETTINGS, **kwargs}
    with pytest.raises(ValueError, match=message):
        pipelined(mlp(), data=(x, y, x, y), **settings)


def test_bad_data_says_what_the_model_takes():
    x, y = blobs()
    with pytest.raises(ValueError, match=r"x_train has samples of shape \(5,\); the model takes \(4,\)"):
        pipelined(mlp(), data=(np.zeros((4, 5)), y[:4], x, y), **SETTINGS)
    with pytest.raises(ValueError, match="y_test must be"):
        pipelined(mlp(), data=(x, y, x, y[:3]), **SETTINGS)
    with pytest.raises(ValueError, match=r"labels in 0 \.\. 2"):
        pipelined(mlp(), data=(x, y + 5, x, y), **SETTINGS)
    with pytest.raises(ValueError, match=r"\(x_train, y_train, x_test, y_test\)"):
        pipelined(mlp(), data=(x, y), **SETTINGS)
