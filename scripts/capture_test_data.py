"""Capture real models into tests/data/ so lowering and simulation are tested on fixed inputs.

For each example: NAME.hlo.pb (the serialized HloModuleProto, as XLA gives it), NAME.hlo.json
(fpgalab's decoded module, readable without TensorFlow) and NAME.npz (the bound weights, the
example inputs, random test inputs and TensorFlow's float32 outputs for them).

    .venv/bin/python scripts/capture_test_data.py [NAME ...]
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from examples import models  # noqa: E402
from fpgalab.frontend.tf.capture import capture  # noqa: E402
from fpgalab.frontend.tf.hlo import module_to_dict  # noqa: E402

DEFAULT = list(models.LEFLOW_NAMES) + ["digits_mlp", "jet_mlp", "lenet5", "mobilenet_v1_small"]
OUT = ROOT / "tests" / "data"


def save(name: str) -> None:
    example = models.get(name)
    captured = capture(example.fn, *example.args)
    import tensorflow as tf  # noqa: PLC0415 - captured above already imported it

    target = example.fn
    flat = [
        np.asarray(
            target(*[tf.constant(a) for a in example.args])
            if example.kind == "function"
            else target(example.args[0], training=False)
        )
    ]
    rng = np.random.default_rng(7)
    samples = [np.stack([rng.uniform(-1, 1, a.shape).astype(np.float32) for _ in range(3)]) for a in example.args]
    reference = captured.reference(*samples)
    compiled = tf.function(
        target if example.kind == "function" else (lambda x: target(x, training=False)), jit_compile=True
    )
    proto = compiled.experimental_get_compiler_ir(*[tf.constant(a) for a in example.args])(stage="hlo_serialized")
    (OUT / f"{name}.hlo.pb").write_bytes(proto)
    module_dict = module_to_dict(dataclasses.replace(captured.module, text=captured.hlo_text()))
    (OUT / f"{name}.hlo.json").write_text(json.dumps(module_dict, separators=(",", ":")))
    arrays = {f"param_{k}": v for k, v in captured.bindings.items()}
    arrays.update({f"example_{k}": a for k, a in enumerate(example.args)})
    arrays.update({f"sample_{k}": a for k, a in enumerate(samples)})
    arrays.update({f"reference_{k}": np.asarray(r, dtype=np.float32) for k, r in enumerate(reference)})
    arrays["example_output"] = flat[0].astype(np.float32)
    meta = {
        "n_inputs": captured.n_inputs,
        "input_names": captured.input_names,
        "name": captured.name,
        "weight_names": {str(k): v for k, v in captured.weight_names.items()},
        "layer_names": sorted(captured.layer_names),
    }
    np.savez_compressed(OUT / f"{name}.npz", meta=np.array(json.dumps(meta)), **arrays)
    print(
        f"{name}: {len(captured.module.entry_computation.instructions)} instructions, "
        f"{sum(v.size for v in captured.bindings.values())} weights"
    )


if __name__ == "__main__":
    for example_name in sys.argv[1:] or DEFAULT:
        save(example_name)
