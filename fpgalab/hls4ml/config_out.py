"""hls4ml's configuration out: ``design.hls4ml_config()``, the converter arguments that rebuild a design in hls4ml.

Each hls4ml layer's settings are what fpgalab uses for it: the precision roles of its nodes
(``auto`` stays ``auto``), its reuse factor, the design's strategy and table sizes, the io type,
part, clock period and uncertainty. A design compiled from an hls4ml configuration starts from that
configuration as given, so its granularity and spelling come back unchanged; every layer whose
settings hls4ml would read differently (``fpgalab.hls4ml.resolve``) gets a ``LayerName`` entry. A design
without one (compiled with fpgalab's options, or chosen by ``explore`` or a precision search) starts
from a ``Model`` section at its defaults.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

from fpgalab.hls4ml.config_in import Hls4mlSource
from fpgalab.hls4ml.converter import BACKENDS, WRITER_ARGS
from fpgalab.hls4ml.infer import layer_types
from fpgalab.hls4ml.layers import Hls4mlLayer, hls4ml_layers, keras_layers
from fpgalab.hls4ml.parts import part_for_device
from fpgalab.hls4ml.precision import hls4ml_type_text
from fpgalab.hls4ml.resolve import lookup_setting
from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches
from fpgalab.ir.types import FixedType


@dataclass(frozen=True)
class Hls4mlOrigin:
    """What ``fpgalab.compile`` keeps on a design for hls4ml: the configuration it was given (or None),
    the Keras model and its layers' classes and activations."""

    source: Hls4mlSource | None
    keras: dict
    model: object = None


def origin(design) -> Hls4mlOrigin:
    return getattr(design, "hls4ml_origin", None) or Hls4mlOrigin(None, {}, None)


def _roles(options, node):
    roles = options.precision.default
    for key, layer_roles in options.precision.layers.items():
        if node_matches(key, node):
            roles = layer_roles
    return roles


def _reuse(options, node) -> int:
    reuse = options.reuse
    if not isinstance(reuse, dict):
        return reuse or 1
    value = reuse.get("default") or 1
    for key, rf in reuse.items():
        if key != "default" and node_matches(key, node):
            value = rf
    return value


def _node_type(node, attribute: str):
    dtype = getattr(node, attribute)
    return dtype if isinstance(dtype, FixedType) else None


def design_view(design, layer: Hls4mlLayer) -> dict:
    """``{"precision": {var: type}, key: value}``: what fpgalab uses for one hls4ml layer. Types are the
    kernel's own where a buffer holds them (weights, biases, results, accumulators), so an ``auto`` role
    comes back as the type it became; a table's type is its role's."""
    options = design.options
    kernel = design.kernel
    nodes = {n.name: n for n in kernel.nodes}
    if layer.kind == "input":
        inputs = {i.name: i for i in kernel.inputs}
        return {"precision": {"result": inputs[layer.layer].dtype}}
    members = [nodes[n] for n in layer.nodes if n in nodes]
    # a weight layer's roles are its dot's or convolution's; a softmax's its output's (its maximum has the input's)
    roles = _roles(options, nodes[layer.primary] if layer.kind == "weight" else members[-1])
    if layer.kind == "weight":
        node = nodes[layer.primary]
        constants = {c.name: c for c in kernel.constants}
        precision = {"weight": constants[node.inputs[1]].dtype, "result": node.dtype, "accum": node.acc}
        if len(node.inputs) > 2 and node.inputs[2] in constants:
            precision["bias"] = constants[node.inputs[2]].dtype
        return {"precision": precision, "ReuseFactor": _reuse(options, node), "Strategy": options.strategy}
    if layer.kind == "activation":
        if not layer.function:  # relu-like: hls4ml reads no table
            return {"precision": {"result": members[-1].dtype}}
        view = {"precision": {"result": members[-1].dtype, "table": roles.table}}
        if layer.function in options.tables:
            view["TableSize"] = options.tables[layer.function].size
        return view
    if layer.kind == "softmax":
        sums = [n for n in members if isinstance(n, ir.Reduce) and n.kind == "sum"]
        accum = roles.accum if roles.accum is not None else (sums[0].dtype if sums else roles.result)
        precision = {"result": roles.result, "exp_table": roles.table, "inv_table": roles.table}
        precision["accum"] = accum  # inv_inp: the 1/x table's index type, read at accum where given (config_in)
        return {"precision": precision, "TableSize": options.tables["exp"].size}
    pools = [n for n in members if isinstance(n, ir.Pool)]
    return {"precision": {"result": members[-1].dtype, "accum": pools[0].acc if pools else None}}


def _layer_entry(config: dict, name: str) -> dict:
    entry = config.setdefault("LayerName", {}).setdefault(name, {})
    if "Precision" in entry and not isinstance(entry["Precision"], dict):
        entry["Precision"] = {"default": entry["Precision"]}
    return entry


def _model_section(config: dict, design, fresh: bool) -> FixedType:
    options = design.options
    model = config.setdefault("Model", {})
    roles = options.precision.default
    default = next((t for t in (roles.result, roles.weight, roles.input) if isinstance(t, FixedType)), None)
    if default is None:
        raise ValueError("hls4ml configurations need a fixed-point design; this one is float32")
    given = model.get("Precision")
    if isinstance(given, dict):
        given["default"] = hls4ml_type_text(default, given.get("default"))
    elif isinstance(given, str):  # a string is the model's default, as hls4ml reads it
        model["Precision"] = hls4ml_type_text(default, given)
    else:
        model["Precision"] = {"default": hls4ml_type_text(default)}
    reuse = options.reuse
    model["ReuseFactor"] = (reuse.get("default", 1) if isinstance(reuse, dict) else reuse) or 1
    strategy = model.get("Strategy", "")
    model["Strategy"] = strategy if strategy.lower() == options.strategy else options.strategy.capitalize()
    if fresh:  # config_from_keras_model's defaults for the keys fpgalab does not model
        model.setdefault("BramFactor", 1_000_000_000)
        model.setdefault("TraceOutput", False)
    return default


def _converter(design, source: Hls4mlSource | None) -> dict:
    options = design.options
    given = source.converter if source is not None else {}
    if options.io == "layered":
        warnings.warn(
            "this design uses fpgalab's layered architecture (io='layered'), which hls4ml does not build; the "
            "configuration is for hls4ml's io_parallel (compile with io='parallel' to estimate that)",
            stacklevel=3,
        )
    if options.io != "layered" and getattr(options, "table_style", "hls4ml") == "fpgalab":
        warnings.warn(
            "this design computes its function tables in fpgalab's style (tables='fpgalab'); hls4ml builds them "
            "its own way, so table look-ups may differ in the last bits (compile with tables='hls4ml' to match)",
            stacklevel=3,
        )
    period = given.get("clock_period")
    if period is None or abs(1000.0 / period - options.clock_mhz) > 1e-9:
        period = round(1000.0 / options.clock_mhz, 6)
    backend = given.get("backend", "Vivado" if source is not None else "Vitis")  # hls4ml's default; fpgalab's 27 %
    args = {
        "io_type": "io_stream" if options.io == "stream" else "io_parallel",
        "part": part_for_device(options.device, given.get("part")),
        "clock_period": period,
        "backend": backend,
    }
    if "clock_uncertainty" in given or abs(options.clock_uncertainty - BACKENDS[backend.lower()]) > 1e-12:
        uncertainty = given.get("clock_uncertainty")
        if uncertainty is None or _fraction(uncertainty) != options.clock_uncertainty:
            uncertainty = f"{options.clock_uncertainty * 100:g}%"
        args["clock_uncertainty"] = uncertainty
    for key in WRITER_ARGS:
        if key in given:
            args[key] = given[key]
    return args


def _fraction(value) -> float | None:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            return None
    return float(value) if isinstance(value, (int, float)) else None


def _same(found, wanted) -> bool:
    if isinstance(found, str) and isinstance(wanted, str):
        return found.lower() == wanted.lower()
    return found == wanted


def hls4ml_config(design, model=None) -> dict:
    """hls4ml's converter arguments for ``design``: ``hls_config``, ``io_type``, ``part``, ``clock_period``,
    ``backend`` (and ``clock_uncertainty``, ``output_dir``, ``project_name`` where set), to pass to
    ``hls4ml.converters.convert_from_keras_model(model, **args)``. ``model``, the Keras model, names
    hls4ml's layer classes when the design does not remember them (a design rebuilt by sparsify)."""
    found = origin(design)
    keras = found.keras or keras_layers(model)
    source = found.source
    config = copy.deepcopy(source.config) if source is not None and source.config is not None else {}
    default = _model_section(config, design, fresh=not config)
    layers = hls4ml_layers(design.kernel, keras)
    views = {layer.name: design_view(design, layer) for layer in layers}
    wanted = [(layer, var, t) for layer in layers for var, t in views[layer.name].pop("precision").items() if t]
    for _ in range(len(wanted) + 1):  # each round fixes the first type hls4ml would read differently
        read = layer_types(config, layers, design.kernel, default)
        wrong = next(((layer, var, t) for layer, var, t in wanted if read[layer.name].get(var) != t), None)
        if wrong is None:
            break
        layer, var, dtype = wrong
        _layer_entry(config, layer.name).setdefault("Precision", {})[var] = hls4ml_type_text(dtype)
    for layer in layers:
        for key, value in views[layer.name].items():
            model_level = key != "TableSize"
            current = lookup_setting(config, layer, key, model_level) or (1024 if key == "TableSize" else None)
            if not _same(current, value):
                _layer_entry(config, layer.name)[key] = value.capitalize() if key == "Strategy" else value
    return {"hls_config": config, **_converter(design, source)}
