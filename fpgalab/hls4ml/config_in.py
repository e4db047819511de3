"""hls4ml's configuration in: ``fpgalab.compile(model, x, hls_config=cfg, io_type=..., part=..., clock_period=...)``.

The converter's arguments (``hls4ml.converters.convert_from_keras_model``) and its ``hls_config``
dictionary (``config_from_keras_model``'s, at granularity ``model``, ``type`` or ``name``) become
fpgalab's options: per-layer precision roles (``fpgalab.options.precision``), ``reuse``, ``strategy``,
``io``, ``device``, ``clock_mhz``, ``clock_uncertainty`` and ``tables``. Each layer's settings are
looked up as hls4ml looks them up (``fpgalab.hls4ml.resolve``). A key fpgalab does not model is a
``ValueError`` naming it, or a warning where ignoring it changes nothing fpgalab estimates (``Trace``).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field, replace

from fpgalab.hls4ml.converter import converter_options
from fpgalab.hls4ml.infer import layer_types
from fpgalab.hls4ml.layers import Hls4mlLayer
from fpgalab.hls4ml.precision import fpgalab_type_text, parse_hls4ml_type
from fpgalab.hls4ml.resolve import TABLE_SIZE, VARIABLES, lookup_precision, lookup_setting, model_default
from fpgalab.ir import nodes as ir
from fpgalab.sim.tables import DEFAULT_TABLES

try:  # hls4ml's table semantics (the tables="hls4ml" option), where this fpgalab has them: a table
    # size from hls_config then keeps that style, the default for io_parallel and io_stream
    from fpgalab.sim.hls4ml_tables import activation_tables
except ImportError:
    activation_tables = None

MODEL_KEYS = (
    "Precision",
    "ReuseFactor",
    "Strategy",
    "BramFactor",
    "TraceOutput",
    "PipelineStyle",
    "ConvImplementation",
    "Compression",
)
LAYER_KEYS = ("Precision", "ReuseFactor", "Strategy", "Trace", "TableSize", "Implementation", "Skip")
LAYER_KEYS += ("ConvImplementation", "Compression", "ParallelizationFactor")
STRATEGIES = ("latency", "resource")


@dataclass(frozen=True)
class Hls4mlSource:
    """The hls4ml configuration a design was compiled from, as given (``hls4ml_config`` keeps its spelling)."""

    config: dict = field(hash=False)
    converter: dict = field(hash=False)  # io_type, part, clock_period, backend, ... as given


def _positive_int(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where} must be a positive integer, got {value!r}")
    return value


def _check_keys(entry, allowed: tuple, where: str) -> None:
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a dict of hls4ml settings, got {type(entry).__name__}")
    for key in entry:
        if key not in allowed:
            raise ValueError(
                f"{where}: key {key!r} is not modelled by fpgalab (it would be ignored); the keys fpgalab reads: "
                f"{', '.join(allowed)}"
            )


def _check_param(text, where: str) -> None:
    """A parametrized activation's ``param`` (LeakyReLU's slope, ELU's alpha): hls4ml's ``auto`` takes a
    type that holds the Keras constant (``InferPrecisionTypes``), as fpgalab does; another type is not modelled."""
    if str(text).strip().lower() != "auto":
        raise ValueError(
            f"{where}['Precision']['param'] = {text!r}: fpgalab keeps an activation's parameter at the type "
            "hls4ml infers for it; give 'auto' or leave it out"
        )


def _check_entry(entry: dict, where: str, kind_vars: set | None) -> None:
    """Every value of one Model/LayerType/LayerName entry, checked as far as it can be on its own."""
    precision = entry.get("Precision")
    if isinstance(precision, dict):
        for var, text in precision.items():
            if var == "maximum":
                raise ValueError(f"{where}['Precision']['maximum'] (the cap of precision inference) is not modelled")
            if var == "param" and kind_vars is not None and "table" in kind_vars:
                _check_param(text, where)
                continue
            if kind_vars is not None and var != "default" and var not in kind_vars:
                raise ValueError(
                    f"{where}['Precision']: variable {var!r} is not modelled here; fpgalab reads "
                    f"default, {', '.join(sorted(kind_vars))}"
                )
            parse_hls4ml_type(text, f"{where}['Precision'][{var!r}]")
    elif precision is not None:
        parse_hls4ml_type(precision, f"{where}['Precision']")
    if "ReuseFactor" in entry:
        _positive_int(entry["ReuseFactor"], f"{where}['ReuseFactor']")
    if "Strategy" in entry:
        strategy = entry["Strategy"]
        if not isinstance(strategy, str) or strategy.lower() not in STRATEGIES:
            raise ValueError(
                f"{where}['Strategy'] must be 'Latency' or 'Resource' (the strategies fpgalab models), got {strategy!r}"
            )
    if "TableSize" in entry:
        size = _positive_int(entry["TableSize"], f"{where}['TableSize']")
        if size & (size - 1):
            raise ValueError(f"{where}['TableSize'] must be a power of two, got {size}")
    fixed = {
        "PipelineStyle": "auto",
        "ConvImplementation": "linebuffer",
        "Implementation": "stable",
        "Compression": False,
        "Skip": False,
        "ParallelizationFactor": 1,  # fpgalab's io_parallel convolution: one pixel per PartitionLoop step
    }
    for key, allowed in fixed.items():
        if key in entry:
            value = entry[key].lower() if isinstance(entry[key], str) else entry[key]
            if value != allowed:
                raise ValueError(f"{where}[{key!r}] = {entry[key]!r} is not modelled by fpgalab; it models {allowed!r}")
    for key in ("Trace", "TraceOutput"):
        if entry.get(key):
            warnings.warn(f"{where}[{key!r}]: fpgalab does not trace layer outputs; ignored", stacklevel=4)


def _is_default(var: str, text) -> bool:
    """Whether a precision is what hls4ml would use anyway: ``auto``, or the attribute's own default."""
    if str(text).strip().lower() == "auto":
        return True
    default = VARIABLES["softmax"].get(var)
    return default is not None and parse_hls4ml_type(text) == default


def _warn_unfused_batchnorm(config: dict, layers: list[Hls4mlLayer], keras: dict) -> None:
    """hls4ml folds a BatchNormalization into the Dense or convolution before it only when that layer's
    result precision is ``auto`` (``FuseBatchNormalization``, hls4ml/model/optimizer/passes/bn_fuse.py);
    otherwise it computes it as a layer of its own (``nnet::normalize``) at its own types. fpgalab
    always folds it into the weights, so the two designs then round differently."""
    by_name = {layer.name: layer for layer in layers}
    parent = None
    for name, (class_name, _) in keras.items():
        if class_name == "BatchNormalization" and name not in by_name and parent is not None:
            result = lookup_precision(config, parent, "result")
            if result is not None and str(result).strip().lower() != "auto":
                warnings.warn(
                    f"hls_config: hls4ml folds BatchNormalization {name!r} into {parent.name!r} only when "
                    f"{parent.name!r}'s result precision is 'auto' (here {result!r}), and otherwise computes it as a "
                    "layer of its own; fpgalab folds it into the weights, so the last bits may differ from hls4ml's",
                    stacklevel=4,
                )
        layer = by_name.get(name)
        if layer is not None and layer.kind == "weight":
            parent = layer
        elif class_name != "BatchNormalization":
            parent = None


def _warn_unused(entry: dict, where: str, model: dict) -> None:
    """A layer fpgalab builds no hardware for (removed, or folded into the layer before it, as a
    BatchNormalization into its convolution): settings beyond hls4ml's defaults are not used."""
    precision = entry.get("Precision")
    values = precision.items() if isinstance(precision, dict) else [("default", precision)] if precision else []
    settings = any(not _is_default(var, text) for var, text in values)
    settings |= entry.get("ReuseFactor", model.get("ReuseFactor")) != model.get("ReuseFactor")
    settings |= str(entry.get("Strategy", model.get("Strategy", ""))).lower() != str(model.get("Strategy", "")).lower()
    if settings:
        warnings.warn(
            f"{where}: this layer has no hardware of its own in fpgalab (removed, or folded into the layer "
            "before it); its precision, reuse and strategy are not used",
            stacklevel=5,
        )


def _check_config(config, layers: list[Hls4mlLayer], extra_names: dict) -> None:
    if not isinstance(config, dict):
        raise ValueError(f"hls_config must be hls4ml's configuration dict, got {type(config).__name__}")
    _check_keys(config, ("Model", "LayerType", "LayerName"), "hls_config")
    if not isinstance(config.get("Model"), dict):
        raise ValueError(
            "hls_config needs a 'Model' section (a dict with 'Precision' and 'ReuseFactor'), as hls4ml does"
        )
    _check_keys(config.get("Model"), MODEL_KEYS, "hls_config['Model']")
    # hls4ml reads a Model-level variable through get_precision only: a table type there would do nothing
    _check_entry(config["Model"], "hls_config['Model']", {"weight", "bias", "result", "accum"})
    if "ReuseFactor" not in config["Model"]:
        raise ValueError("hls_config['Model'] needs 'ReuseFactor' (hls4ml has no default for it)")
    by_name = {layer.name: layer for layer in layers}
    classes = {layer.class_name: layer for layer in layers}
    names = sorted(set(by_name) | set(extra_names))
    for part, known, noun in (("LayerName", by_name, "name"), ("LayerType", classes, "class")):
        entries = config.get(part) or {}
        if not isinstance(entries, dict):
            raise ValueError(f"hls_config[{part!r}] must be a dict keyed by layer {noun}")
        for key, entry in entries.items():
            where = f"hls_config[{part!r}][{key!r}]"
            _check_keys(entry, LAYER_KEYS, where)
            layer = known.get(key)
            if layer is None:
                kept = {c for c, _ in extra_names.values()} if part == "LayerType" else extra_names
                if key in kept:  # a Keras layer with no hardware of its own in fpgalab (Dropout, a folded BN)
                    _check_entry(entry, where, None)
                    _warn_unused(entry, where, config["Model"])
                    continue
                listed = names if part == "LayerName" else sorted(classes)
                raise ValueError(
                    f"{where}: the model has no layer {noun} {key!r}; its layers' {noun}s: {', '.join(listed)}"
                )
            _check_entry(entry, where, set(VARIABLES[layer.kind]))


def _roles(config: dict, layer: Hls4mlLayer, types: dict) -> dict:
    """fpgalab's precision roles of one layer, from hls4ml's variables (``types``, ``auto`` inferred)."""
    if layer.kind == "weight":
        return {role: types[role] for role in ("weight", "bias", "result", "accum")}
    if layer.kind == "activation":
        return {"result": types["result"], "table": types["table"]}
    if layer.kind == "softmax":
        if types["exp_table"] != types["inv_table"]:
            raise ValueError(
                f"hls_config, layer {layer.name!r}: fpgalab gives a softmax's exp and 1/x tables one type; "
                f"exp_table is {types['exp_table']} and inv_table {types['inv_table']}"
            )
        explicit = lookup_precision(config, layer, "inv_inp") is not None
        if explicit and types["inv_inp"] != types["accum"]:
            raise ValueError(
                f"hls_config, layer {layer.name!r}: fpgalab reads the 1/x table at the sum's type (accum); "
                f"inv_inp is {types['inv_inp']} and accum {types['accum']}: give them one type"
            )
        return {"result": types["result"], "table": types["exp_table"], "accum": types["accum"]}
    return {"result": types["result"], "accum": types["accum"]}


def _design_roles(default) -> dict:
    return {"weight": default, "bias": default, "result": default, "accum": default}


def _precision(config: dict, layers: list[Hls4mlLayer], kernel: ir.Kernel) -> dict:
    default = model_default(config)
    design = _design_roles(default)
    inferred = layer_types(config, layers, kernel, default)
    inputs = {inferred[layer.name]["result"] for layer in layers if layer.kind == "input"}
    if len(inputs) > 1:
        raise ValueError(
            f"fpgalab gives every input one type; the input layers' precisions differ: {sorted(map(str, inputs))}"
        )
    spec = {"default": fpgalab_type_text(default), "accum": fpgalab_type_text(default)}
    if inputs:
        spec["input"] = fpgalab_type_text(inputs.pop())
    for layer in layers:
        if layer.kind == "input":
            continue
        roles = _roles(config, layer, inferred[layer.name])
        changed = {role: fpgalab_type_text(t) for role, t in roles.items() if design.get(role) != t}
        if layer.split:  # keyed by its nodes, after its layer's key, so that it wins over it
            for node in layer.nodes:
                spec[node] = changed
        elif changed:
            spec[layer.layer] = changed
        if layer.kind == "softmax":  # stable softmax: the maximum is taken in the input's type (data_T)
            for node in (n for n in kernel.nodes if n.name in layer.nodes):
                if isinstance(node, ir.Reduce) and node.kind == "max":
                    spec[node.name] = {**changed, "result": fpgalab_type_text(inferred[layer.name]["input"])}
    return spec


def _reuse_and_strategy(config: dict, layers: list[Hls4mlLayer], io: str) -> dict:
    model_rf = config["Model"]["ReuseFactor"]
    reuse = {"default": model_rf}
    strategies = {}
    for layer in layers:
        rf = lookup_setting(config, layer, "ReuseFactor")
        if layer.kind == "weight":
            if rf != model_rf:
                reuse[layer.layer] = rf
            strategies[layer.name] = (lookup_setting(config, layer, "Strategy") or "Latency").lower()
        elif rf != 1 and layer.kind == "other":
            raise ValueError(
                f"hls_config, layer {layer.name!r} ({layer.class_name}): fpgalab models ReuseFactor on dense and "
                f"convolution layers only; give this layer ReuseFactor 1, got {rf}"
            )
        elif rf != 1 and layer.kind == "softmax" and io == "stream":
            warnings.warn(
                f"hls_config, layer {layer.name!r}: fpgalab schedules an io_stream softmax at reuse 1; ReuseFactor {rf} ignored",
                stacklevel=4,
            )
    kinds = sorted(set(strategies.values()))
    if len(kinds) > 1:
        per = ", ".join(f"{name}: {s}" for name, s in strategies.items())
        raise ValueError(f"fpgalab models one Strategy for the whole design; the layers' strategies differ ({per})")
    return {"reuse": reuse if len(reuse) > 1 else model_rf, "strategy": kinds[0] if kinds else "latency"}


def _tables(config: dict, layers: list[Hls4mlLayer]) -> dict:
    sizes: dict[str, tuple[int, str]] = {}
    for layer in layers:
        if layer.kind not in ("activation", "softmax"):
            continue
        size = lookup_setting(config, layer, "TableSize", model_level=False) or TABLE_SIZE
        functions = ("exp", "reciprocal") if layer.kind == "softmax" else (layer.function,)
        for function in functions:
            if function not in DEFAULT_TABLES:
                continue  # relu-like: hls4ml reads no table either
            if sizes.get(function, (size,))[0] != size:
                raise ValueError(
                    f"hls_config: fpgalab has one {function} table per design; layers {sizes[function][1]!r} and "
                    f"{layer.name!r} ask for TableSize {sizes[function][0]} and {size}"
                )
            sizes[function] = (size, layer.name)
    base = {**DEFAULT_TABLES, **(activation_tables() if activation_tables is not None else {})}
    return {f: replace(base[f], size=s) for f, (s, _) in sizes.items() if s != base[f].size}


def _check_bram_factor(config: dict, kernel: ir.Kernel, io: str) -> None:
    factor = config["Model"].get("BramFactor")
    if factor is None or io != "stream":
        return  # hls4ml moves weights to BRAM ports in io_stream only (RegisterBramWeights)
    largest = max((c.value.size for c in kernel.constants), default=0)
    if largest > factor:
        raise ValueError(
            f"hls_config['Model']['BramFactor'] = {factor}: a weight tensor of {largest} elements would become an "
            "external BRAM port in hls4ml, which fpgalab does not model; raise BramFactor above it"
        )


def hls4ml_options(
    converter: dict, kernel: ir.Kernel, layers: list[Hls4mlLayer], keras: dict
) -> tuple[dict, Hls4mlSource]:
    """fpgalab's options for hls4ml's converter arguments (``hls_config`` included) on ``kernel``, whose
    hls4ml layers are ``layers``; ``keras`` (``{name: (class, activation)}``) adds the Keras layers
    that have no hardware (Dropout ...) as names a configuration may hold."""
    options = converter_options(converter)
    config = converter.get("hls_config")
    if config is not None:
        _check_config(config, layers, keras)
        _warn_unfused_batchnorm(config, layers, keras)
        _check_bram_factor(config, kernel, options["io"])
        options["precision"] = _precision(config, layers, kernel)
        options.update(_reuse_and_strategy(config, layers, options["io"]))
        tables = _tables(config, layers)
        if tables:
            options["tables"] = tables
    return options, Hls4mlSource(copy.deepcopy(config) if config is not None else None, dict(converter))
