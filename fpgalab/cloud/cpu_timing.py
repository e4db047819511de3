"""Time a saved Keras model in TensorFlow on this machine's CPU: run as a script, one process per
thread setting (TensorFlow's thread pools are fixed once it initializes, so each setting needs a
fresh process).

    python cpu_timing.py '{"model": "m.keras", "threads": "1", "batches": [256], "runs": 5}'

prints one JSON object: TensorFlow's version, the threads used, and per batch size the median
seconds of one call ``model(x, training=False)`` (a ``tf.function``) over ``runs`` timed runs after
warm-up; each timed run repeats the call until it lasts at least ``min_seconds`` and divides. Inputs
are ``x`` (a .npy of samples, repeated to fill the batch) or standard normal values of the model's
input shape. It imports nothing from fpgalab and runs isolated (``python -I``): its folder holds a ``platform.py``
that must not shadow the standard library's.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

import numpy as np

WARMUP_CALLS = 3


def _threads(setting: str, tf) -> int:
    if setting == "all":
        return os.cpu_count() or 1
    count = int(setting)
    tf.config.threading.set_intra_op_parallelism_threads(count)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    return count


def _inputs(model, x, batch: int):
    if x is not None:
        samples = np.load(x).astype(np.float32)
        repeats = math.ceil(batch / samples.shape[0])
        return np.concatenate([samples] * repeats)[:batch]
    shape = tuple(model.inputs[0].shape[1:])
    return np.random.default_rng(0).standard_normal((batch,) + shape).astype(np.float32)


def _seconds_per_call(call, data, runs: int, min_seconds: float) -> float:
    for _ in range(WARMUP_CALLS):
        call(data).numpy()
    start = time.perf_counter()
    call(data).numpy()
    reps = max(1, math.ceil(min_seconds / max(time.perf_counter() - start, 1e-9)))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(reps):
            out = call(data)
        out.numpy()
        times.append((time.perf_counter() - start) / reps)
    return statistics.median(times)


def main(request: dict) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # the CPU, even where a GPU is present
    import keras  # noqa: PLC0415 - after the environment above
    import tensorflow as tf  # noqa: PLC0415

    threads = _threads(request["threads"], tf)
    model = keras.models.load_model(request["model"], compile=False)
    call = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
    seconds = {}
    for batch in request["batches"]:
        data = tf.constant(_inputs(model, request.get("x"), batch))
        seconds[str(batch)] = _seconds_per_call(call, data, request["runs"], request.get("min_seconds", 0.05))
    return {
        "tensorflow": tf.__version__,
        "threads": threads,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),  # 0: TensorFlow's default
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "seconds": seconds,
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
