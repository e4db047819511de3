"""The stale-weight training loop: an emulation of the pipeline's arithmetic in TensorFlow.

Nothing runs on an FPGA or on several accelerators here.  One process does, minibatch by minibatch,
the arithmetic a k-partition pipeline would do (fpgalab.train.stages): at step t the gradient is
computed with each partition's weights as they were ``delay`` updates ago, and the resulting update
lands on the current weights (no weight stashing, no micro-batching).  The update is SGD with
momentum, written the way keras.optimizers.SGD writes it (v = v*momentum - g*lr; w = w + v), so that
with every delay 0 the loop is ordinary training.

Each trainable variable keeps a ring of its last delay + 1 values.  Invariant before step t: slot
s mod (delay + 1) holds the weights after s updates, for s in t - delay .. t (the initial weights
stand in for s < 0, the pipeline filling).  Step t reads slot (t + 1) mod (delay + 1), the weights
t - delay, and writes the new weights over it.

One simplification against the hardware: the paper's pipeline runs a partition's backward stage
later than its forward stage, and without stashing it multiplies by the weights of that later step.
Here, as in the paper's pipelined SGD (its Algorithm 1, PPL-SGD: compute the gradient using stale
weights, then update the weights), one gradient is taken of the loss computed with every partition's
delayed weights, forward and backward alike, and applied to the current weights.
"""

from __future__ import annotations

import numpy as np

from fpgalab.train.result import Curve


def train_stale(
    model,
    delays,
    data,
    *,
    name: str,
    epochs: int,
    batch_size: int,
    learning_rate,
    momentum: float,
    seed: int,
    hybrid_after: int | None = None,
    from_logits: bool = True,
) -> Curve:
    """Train ``model`` in place; ``learning_rate`` is a number or a function of the epoch (1-based);
    ``delays[j]`` is the staleness of ``model.trainable_variables[j]``
    (``None`` for every variable: ordinary training reading the variables themselves)."""
    import keras  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415

    x_train, y_train, x_test, y_test = data
    weights = model.trainable_variables
    others = model.non_trainable_variables
    loss_of = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    rate_of = learning_rate if callable(learning_rate) else (lambda epoch: learning_rate)
    lr = tf.Variable(0.0, dtype=tf.float32, trainable=False)
    mom = tf.constant(momentum, tf.float32)
    velocity = [tf.Variable(tf.zeros_like(w.value), trainable=False) for w in weights]
    rings = None
    if delays is not None:
        rings = [tf.Variable(tf.repeat(w.value[None], d + 1, axis=0), trainable=False) for w, d in zip(weights, delays)]
    count = tf.Variable(0, dtype=tf.int64, trainable=False)

    def update(values, xb, yb):
        with tf.GradientTape() as tape:
            tape.watch(values)
            out, new_others = model.stateless_call(values, [v.value for v in others], xb, training=True)
            loss = loss_of(yb, out)
        grads = tape.gradient(loss, values)
        for w, v, g in zip(weights, velocity, grads):
            if momentum:
                v.assign(v * mom - g * lr)
                w.assign_add(v)
            else:
                w.assign_sub(g * lr)
        for var, value in zip(others, new_others):
            var.assign(value)
        return loss

    @tf.function(reduce_retracing=True)
    def ordinary_step(xb, yb):
        return update([w.value for w in weights], xb, yb)

    @tf.function(reduce_retracing=True)
    def stale_step(xb, yb):
        t = count
        values = [ring[(t + 1) % (d + 1)] for ring, d in zip(rings, delays)]
        loss = update(values, xb, yb)
        for ring, d, w in zip(rings, delays, weights):
            ring[(t + 1) % (d + 1)].assign(w.value)
        count.assign_add(1)
        return loss

    @tf.function(reduce_retracing=True)
    def predict(x):
        return tf.argmax(model(x, training=False), axis=-1)

    rng = np.random.default_rng(seed)
    x_test_t = tf.constant(x_test)
    accuracy, losses = [], []
    n = len(x_train)
    for epoch in range(1, epochs + 1):
        stale = rings is not None and (hybrid_after is None or epoch <= hybrid_after)
        step = stale_step if stale else ordinary_step
        rate = float(rate_of(epoch))
        if not rate > 0:
            raise ValueError(f"learning_rate gave {rate!r} for epoch {epoch}; it must be positive")
        lr.assign(rate)
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            total += float(step(tf.constant(x_train[idx]), tf.constant(y_train[idx]))) * len(idx)
        losses.append(total / n)
        accuracy.append(float(np.mean(predict(x_test_t).numpy() == y_test)))
    return Curve(name=name, test_accuracy=tuple(accuracy), train_loss=tuple(losses))
