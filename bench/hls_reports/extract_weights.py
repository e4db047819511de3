"""Extract the published weights of the hls4ml designs in published.json into small .npz files.

The designs' Keras models are committed with their hls4ml projects (``<prj>/keras_model.h5``, the
model hls4ml converted); this reads the kernels and biases with h5py and, for QKeras layers,
applies the layer's ``quantized_bits`` quantizer as hls4ml does when it converts (round half to
even, clip to the signed range), so the arrays are exactly the weights that were synthesized.

    python bench/hls_reports/extract_weights.py SNAPSHOT_DIR
        SNAPSHOT_DIR/<commit>/<project>/keras_model.h5, e.g. from
        git -C <clone of Hector-Plata/hls4ml-tutorial> show 4ac4f07:model_1/hls4ml_prj/keras_model.h5
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
PROJECTS = {  # output name -> (commit, project folder) in Hector-Plata/hls4ml-tutorial
    "hp_run1_model1": ("4ac4f07", "model_1/hls4ml_prj"),
    # model_1/hls4ml_prj_2 of 4ac4f07 (reuse 2) holds the same weights as model_1/hls4ml_prj
    "hp_run1_model2": ("4ac4f07", "model_2/hls4ml_prj"),
    "hp_run1_model3": ("4ac4f07", "model_3/hls4ml_prj"),
    "hp_run2_model1": ("9f451d8", "model_1/hls4ml_prj"),
    "hp_run2_model1_rf2": ("9f451d8", "model_1/hls4ml_prj_2"),
    "hp_run2_model3": ("9f451d8", "model_3/hls4ml_prj"),
}


def quantized_bits(x: np.ndarray, config: dict) -> np.ndarray:
    """QKeras quantized_bits(bits, integer, keep_negative=True, alpha=1, symmetric=0)."""
    bits, integer = config["bits"], config["integer"]
    if config.get("alpha") not in (1, None) or not config.get("keep_negative", True) or config.get("symmetric"):
        raise ValueError(f"only quantized_bits(alpha=1, keep_negative, not symmetric) is read here: {config}")
    scale = 2.0 ** (bits - integer - 1)
    return np.clip(np.round(x * scale), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1) / scale


def read_model(path: Path) -> dict:
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        arrays = {}
        for layer in config["config"]["layers"]:
            name, cfg = layer["config"]["name"], layer["config"]
            if layer["class_name"] not in ("Dense", "QDense"):
                continue
            group = f["model_weights"][name][name]
            for part, key in (("kernel", "kernel_quantizer"), ("bias", "bias_quantizer")):
                value = np.array(group[f"{part}:0"], dtype=np.float64)
                if cfg.get(key):
                    value = quantized_bits(value, cfg[key]["config"])
                arrays[f"{name}/{part}"] = value.astype(np.float32)
    return arrays


def main(snapshot: str) -> None:
    for out, (commit, project) in PROJECTS.items():
        arrays = read_model(Path(snapshot) / commit / project / "keras_model.h5")
        np.savez_compressed(HERE / "weights" / f"{out}.npz", **arrays)
        print(out, {k: v.shape for k, v in arrays.items()})


if __name__ == "__main__":
    main(sys.argv[1])
