"""hls4ml's converter arguments (``convert_from_keras_model``'s keywords, or a YAML configuration's
top-level keys) as ``fpgalab.compile`` takes them, and the fpgalab options they stand for.

``io_type``, ``part``, ``clock_period``, ``clock_uncertainty`` and ``backend`` set the architecture,
part and clock (hls4ml's defaults: io_parallel, 5 ns, the Vivado backend with 12.5 % uncertainty, 27 %
for Vitis: ``create_initial_config`` of hls4ml/backends/vivado/vivado_backend.py and vitis_backend.py).
The writer's arguments (``output_dir``, ``project_name``, ``namespace``, ``write_weights_txt`` ...) change
no hardware: they are kept for ``design.to_hls4ml``. ``bit_exact`` (types from quantizers) and ``board``
(VivadoAccelerator's boards) are not modelled.
"""

from __future__ import annotations

import warnings

from fpgalab.hls4ml.parts import device_for_part

HARDWARE_ARGS = ("hls_config", "io_type", "part", "clock_period", "backend")
WRITER_ARGS = ("output_dir", "project_name", "namespace", "write_weights_txt", "write_tar")
WRITER_ARGS += ("write_emulation_constants", "tb_output_stream", "input_data_tb", "output_data_tb")
WRITER_ARGS += ("allow_da_fallback", "allow_v2_fallback")
UNMODELLED_ARGS = {"bit_exact": (None, False), "board": (None,)}
CONVERTER_ARGS = HARDWARE_ARGS + WRITER_ARGS + tuple(UNMODELLED_ARGS)
# fpgalab's own option each converter argument stands for: giving both is ambiguous
SAME_AS = {
    "io_type": ("io",),
    "part": ("device",),
    "clock_period": ("clock_mhz",),
    "hls_config": ("precision", "reuse", "reuse_factor", "strategy", "tables"),
}
BACKENDS = {"vivado": 0.125, "vitis": 0.27}  # hls4ml's clock uncertainty per backend (create_initial_config)
DEFAULT_PART = "xcvu13p-flga2577-2-e"  # hls4ml's, which fpgalab does not model
# a YAML configuration's top level (hls4ml's ``convert_from_config``): its keys as converter arguments
YAML_KEYS = {
    "HLSConfig": "hls_config",
    "Part": "part",
    "ClockPeriod": "clock_period",
    "ClockUncertainty": "clock_uncertainty",
    "IOType": "io_type",
    "Backend": "backend",
    "OutputDir": "output_dir",
    "ProjectName": "project_name",
}
YAML_MODEL_KEYS = ("KerasModel", "KerasJson", "KerasH5", "InputData", "OutputPredictions")


def _from_yaml(config: dict) -> dict:
    """A YAML configuration (``{"HLSConfig": ..., "Part": ..., ...}``) as converter arguments."""
    unknown = sorted(set(config) - set(YAML_KEYS) - set(YAML_MODEL_KEYS))
    if unknown:
        raise ValueError(
            f"hls_config: the configuration's top-level key(s) {', '.join(map(repr, unknown))} are not modelled by "
            f"fpgalab; it reads {', '.join(YAML_KEYS)} (and takes the model from compile's first argument)"
        )
    files = [k for k in YAML_MODEL_KEYS if k in config]
    if files:
        warnings.warn(f"hls_config: {', '.join(files)} ignored: the model is the one compile was given", stacklevel=4)
    return {YAML_KEYS[k]: v for k, v in config.items() if k in YAML_KEYS}


def split_converter_args(options: dict) -> tuple[dict, dict | None]:
    """(fpgalab's options, hls4ml's converter arguments or None when none was given)."""
    given = {k: options[k] for k in CONVERTER_ARGS if k in options}
    if not given:
        return options, None
    rest = {k: v for k, v in options.items() if k not in CONVERTER_ARGS}
    if isinstance(given.get("hls_config"), dict) and "HLSConfig" in given["hls_config"]:
        unpacked = _from_yaml(given.pop("hls_config"))
        twice = sorted(set(unpacked) & (set(given) | ({"clock_uncertainty"} & set(rest))))
        if twice:
            raise ValueError(f"{', '.join(twice)} given both as arguments and in the YAML configuration")
        given.update(unpacked)
    for key in given:
        clash = [o for o in SAME_AS.get(key, ()) if o in rest]
        if clash:
            raise ValueError(f"give {key} (hls4ml's) or {clash[0]} (fpgalab's), not both: they set the same thing")
    if "clock_uncertainty" in rest:
        given["clock_uncertainty"] = rest.pop("clock_uncertainty")
    return rest, given


def converter_options(converter: dict) -> dict:
    """fpgalab's ``io``, ``device``, ``clock_mhz`` and ``clock_uncertainty`` for hls4ml's arguments."""
    for key, allowed in UNMODELLED_ARGS.items():
        if converter.get(key) not in allowed:
            raise ValueError(f"{key}={converter[key]!r} is not modelled by fpgalab; leave it unset")
    options = {}
    io_type = converter.get("io_type", "io_parallel")
    if io_type not in ("io_parallel", "io_stream"):
        raise ValueError(f"io_type must be 'io_parallel' or 'io_stream' (hls4ml's), got {io_type!r}")
    options["io"] = io_type.removeprefix("io_")
    if "part" in converter:
        options["device"] = device_for_part(converter["part"])
    elif "hls_config" in converter:
        warnings.warn(
            f"no part given: hls4ml would build for its default {DEFAULT_PART}, which fpgalab does not model; "
            "the estimate is for fpgalab's default part (give part=..., e.g. 'xcvu9p-flga2104-2L-e')",
            stacklevel=4,
        )
    period = converter.get("clock_period", 5)
    if isinstance(period, bool) or not isinstance(period, (int, float)) or not 0 < period < float("inf"):
        raise ValueError(f"clock_period must be a positive number of nanoseconds (hls4ml's), got {period!r}")
    options["clock_mhz"] = 1000.0 / period
    backend = converter.get("backend", "Vivado")
    if not isinstance(backend, str) or backend.lower() not in BACKENDS:
        raise ValueError(f"backend must be 'Vivado' or 'Vitis' (the hls4ml backends fpgalab models), got {backend!r}")
    options["clock_uncertainty"] = converter.get("clock_uncertainty", BACKENDS[backend.lower()])
    for key in ("output_dir", "project_name"):
        if key in converter and not isinstance(converter[key], str):
            raise ValueError(f"{key} must be a string, got {converter[key]!r}")
    return options
