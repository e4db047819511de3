"""``fpgalab.train.pipelined``: train a Keras model as a k-partition stale-weight pipeline would."""

from __future__ import annotations

import numpy as np

from fpgalab.train.costs import layer_work, speedup, stage_work
from fpgalab.train.result import PipelinedResult
from fpgalab.train.stages import split_stages
from fpgalab.train.stale import train_stale


def pipelined(
    model,
    stages: int | None = None,
    *,
    data,
    epochs: int,
    boundaries=None,
    batch_size: int = 32,
    learning_rate=0.01,
    momentum: float = 0.9,
    seed: int = 0,
    hybrid_after: int | None = None,
    ordinary: bool = True,
    design=None,
) -> PipelinedResult:
    """Train a clone of ``model`` the way a pipeline of ``stages`` partitions with stale weights
    would (fpgalab.train.stages gives each partition's delay), beside ordinary training.

    data: (x_train, y_train, x_test, y_test), integer class labels; the model outputs class scores
        (logits, or probabilities when its last layer ends in softmax).
    stages / boundaries: how many partitions (layers with weights split evenly), or the names of the
        layers after which a pipeline register sits; ``boundaries=("conv1",)`` pipelines only conv1.
    learning_rate: a number, or a function of the epoch (1, 2, ...) giving that epoch's rate;
        the update is SGD with ``momentum`` as keras.optimizers.SGD writes it.
    hybrid_after: train pipelined for this many epochs, then ordinarily (the paper's hybrid scheme).
    ordinary: also train without pipelining from the same initial weights and minibatch order.
    seed: draws the initial weights (through the model's initializers) and the minibatch order.
    design: an ``fpgalab.compile`` of the model, if already made; else compiled here for the costs.

    An emulation of the arithmetic in TensorFlow, not a run on FPGAs (fpgalab.train.stale).
    """
    import keras  # noqa: PLC0415

    data = _check(model, data, epochs, batch_size, learning_rate, momentum, hybrid_after)
    parts = split_stages(model, stages, boundaries)
    per_stage = stage_work(parts, layer_work(model, design))
    from_logits = getattr(model.layers[-1], "activation", None) is not keras.activations.softmax

    keras.utils.set_random_seed(seed)
    trained = keras.models.clone_model(model)
    initial = trained.get_weights()
    delay_of = {name: stage.delay for stage in parts for name in stage.layers}
    owner = {id(w): layer.name for layer in trained.layers for w in layer.trainable_weights}
    delays = [delay_of[owner[id(w)]] for w in trained.trainable_variables]
    settings = {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "momentum": momentum,
        "seed": seed,
        "from_logits": from_logits,
    }
    baseline = None
    if ordinary:
        baseline = train_stale(trained, None, data, name="ordinary", **settings)
        trained.set_weights(initial)
    label = f"pipelined, {len(parts)} partitions, delays {[s.delay for s in parts]}"
    if hybrid_after is not None:
        label += f", ordinary after epoch {hybrid_after}"
    curve = train_stale(trained, delays, data, name=label, hybrid_after=hybrid_after, **settings)
    return PipelinedResult(parts, per_stage, speedup(per_stage), curve, baseline, hybrid_after, trained)


def _check(model, data, epochs, batch_size, learning_rate, momentum, hybrid_after):
    """Validate the arguments; returns data as (float32 x, int64 y) arrays."""
    if not getattr(model, "built", False) or not hasattr(model, "input_shape"):
        raise ValueError("model must be a built Keras model with a known input shape (give it a keras.Input)")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}={value!r}: give a whole number, 1 or more")
    if not callable(learning_rate) and not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate={learning_rate!r}: give a positive number or a function of the epoch")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum={momentum!r}: give a number in [0, 1)")
    if hybrid_after is not None and (
        not isinstance(hybrid_after, int) or isinstance(hybrid_after, bool) or not 0 <= hybrid_after <= epochs
    ):
        raise ValueError(
            f"hybrid_after={hybrid_after!r}: give None or the epoch (0 .. epochs={epochs}) after which "
            "training switches from pipelined to ordinary"
        )
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be (x_train, y_train, x_test, y_test)")
    x_train, y_train, x_test, y_test = (np.asarray(a) for a in data)
    expected = tuple(model.input_shape[1:])
    classes = model.output_shape[-1]
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.shape[1:] != expected:
            raise ValueError(
                f"x_{split} has samples of shape {x.shape[1:]}; the model takes {expected} (array shape (n,) + {expected})"
            )
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(
                f"y_{split} must be {len(x)} integer class labels (shape ({len(x)},)), got shape {y.shape}"
            )
        if y.dtype.kind not in "iu" or (len(y) and (y.min() < 0 or y.max() >= classes)):
            raise ValueError(
                f"y_{split} must hold integer class labels in 0 .. {classes - 1} (the model has {classes} outputs)"
            )
        if len(x) == 0:
            raise ValueError(f"x_{split} is empty")
    return (x_train.astype(np.float32), y_train.astype(np.int64), x_test.astype(np.float32), y_test.astype(np.int64))
