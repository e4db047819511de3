"""``design.compare_hls4ml(x)``: fpgalab's bits against hls4ml's C simulation of the same Keras model.

hls4ml (1.3.0, ``pip install fpgalab[hls4ml]``; imported only here) converts the design's Keras
model with ``config_from_keras_model(granularity="name")``, each layer at fpgalab's types (result,
accumulator, weight and bias of the layer's nodes), reuse factor and strategy, Vivado backend,
fpgalab's io type; ``trace`` builds its C simulation with g++ and returns every layer's output.
fpgalab's simulator runs the same inputs keeping every buffer; each hls4ml layer is matched with
the last node of the Keras layer of that name. The report gives, per layer, the share of values
that are bit-identical, the first layer where they differ with the two values, notes where
fpgalab's types differ on purpose, and each output's mean absolute error against the float model.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import numpy as np

from fpgalab.ir import nodes as ir
from fpgalab.ir.types import FixedType

INSTALL = "pip install fpgalab[hls4ml]"


def _hls4ml():
    try:
        import hls4ml  # noqa: PLC0415
    except ImportError:
        raise ImportError(f"compare_hls4ml needs hls4ml 1.3.0 (its C simulation needs only g++): {INSTALL}") from None
    return hls4ml


@dataclass(frozen=True)
class LayerMatch:
    layer: str
    identical: float  # share of values bit-identical
    values: int
    first: tuple | None = None  # (sample, index, fpgalab's value, hls4ml's value) of the first difference


@dataclass(frozen=True)
class Hls4mlComparison:
    """Per layer, the share of bit-identical values; the first difference; notes; errors against float."""

    design: str
    table_style: str
    layers: tuple[LayerMatch, ...]
    notes: tuple[str, ...] = ()
    float_error: dict = field(default_factory=dict)  # "fpgalab" / "hls4ml" -> mean |output - float model|

    @property
    def identical(self) -> bool:
        return all(m.identical == 1.0 for m in self.layers)

    @property
    def first_difference(self) -> LayerMatch | None:
        return next((m for m in self.layers if m.identical < 1.0), None)

    def __str__(self) -> str:
        lines = [f"{self.design}: fpgalab (tables={self.table_style!r}) against hls4ml's C simulation"]
        for m in self.layers:
            lines.append(f"  {m.layer:<24} {100 * m.identical:7.2f} % of {m.values} values bit-identical")
        first = self.first_difference
        if first is None:
            lines.append("  every traced layer is bit-identical")
        else:
            sample, index, ours, theirs = first.first
            lines.append(
                f"  first difference: layer {first.layer}, sample {sample}, value {index}: "
                f"fpgalab {ours!r}, hls4ml {theirs!r}"
            )
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  mean |error| against the float model, {k}: {v:.3g}" for k, v in self.float_error.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{m.layer}</td><td>{100 * m.identical:.2f} %</td><td>{m.values}</td>"
            f"<td>{'' if m.first is None else f'fpgalab {m.first[2]!r}, hls4ml {m.first[3]!r}'}</td></tr>"
            for m in self.layers
        )
        extra = "".join(f"<li>{n}</li>" for n in self.notes)
        extra += "".join(f"<li>mean |error| against float, {k}: {v:.3g}</li>" for k, v in self.float_error.items())
        return (
            f"<b>{self.design}</b> against hls4ml (tables={self.table_style!r})<table>"
            "<tr><th>layer</th><th>bit-identical</th><th>values</th><th>first difference</th></tr>"
            f"{rows}</table><ul>{extra}</ul>"
        )


def _type_text(t) -> str | None:
    if not isinstance(t, FixedType):
        return None
    base = f"ap_{'' if t.signed else 'u'}fixed<{t.width},{t.integer}"
    if (t.quant, t.overflow) == ("AP_TRN", "AP_WRAP"):
        return base + ">"
    return base + f",{t.quant},{t.overflow}>"


def layer_types(kernel: ir.Kernel) -> dict[str, dict[str, str]]:
    """Per Keras layer, fpgalab's types as hls4ml's precision roles: result, accum, weight, bias."""
    buffers = kernel.buffers()
    constants = {c.name: c for c in kernel.constants}
    types: dict[str, dict[str, str]] = {}
    for spec in kernel.inputs:
        types[spec.name] = {"result": _type_text(spec.dtype)}
    for node in kernel.nodes:
        if not node.layer:
            continue
        roles = types.setdefault(node.layer, {})
        roles["result"] = _type_text(node.dtype)
        if isinstance(node, (ir.Dot, ir.Conv)):
            roles["accum"] = _type_text(node.acc)
            for role, name in zip(("weight", "bias"), node.inputs[1:]):
                if name in constants:
                    roles[role] = _type_text(buffers[name].dtype)
        elif isinstance(node, ir.Pool) and node.kind == "sum":
            roles["accum"] = _type_text(node.dtype)  # hls4ml divides the sum in accum_t
        elif isinstance(node, ir.Elementwise):  # an unfolded BatchNorm: x * scale + shift
            for op in ir.expr_ops(node.expr):
                for arg in op.args:
                    if isinstance(arg, ir.Arg) and node.inputs[arg.index] in constants:
                        role = {"mul": "scale", "add": "bias", "sub": "bias"}.get(op.op)
                        if role:
                            roles[role] = _type_text(buffers[node.inputs[arg.index]].dtype)
    return {k: {r: t for r, t in v.items() if t} for k, v in types.items()}


def split_activations(model) -> dict[str, str]:
    """``{layer: activation}`` of the Keras layers whose ``activation`` argument hls4ml splits off into a
    layer of its own, named ``<layer>_<activation>`` (its Keras reader); the layer keeps the linear part."""
    split = {}
    for layer in getattr(model, "layers", []):
        try:
            activation = layer.get_config().get("activation")
        except Exception:  # noqa: BLE001 - a layer without a config has no activation argument to split
            continue
        if isinstance(activation, str) and activation != "linear" and type(layer).__name__ != "Activation":
            split[layer.name] = activation
    return split


def layer_values(design, arrays, model=None) -> dict[str, np.ndarray]:
    """fpgalab's simulated output of every layer as hls4ml names them, flattened per sample: a Keras
    layer's last node, and for a layer whose activation hls4ml splits off, the layer's dot or
    convolution (the linear part, ``<layer>``) and its last node (``<layer>_<activation>``)."""
    from fpgalab.sim.functional import run_kernel  # noqa: PLC0415
    from fpgalab.sim.values import to_exact  # noqa: PLC0415

    values = run_kernel(design.kernel, arrays, design._context(), keep=True)
    split = split_activations(model)
    last, linear = {}, {}
    for node in design.kernel.nodes:
        if node.layer:
            last[node.layer] = node.name
            if isinstance(node, (ir.Dot, ir.Conv)):
                linear[node.layer] = node.name
    named = {}
    for layer, name in last.items():
        if layer in split and layer in linear and linear[layer] != name:
            named[layer], named[f"{layer}_{split[layer]}"] = linear[layer], name
        else:
            named[layer] = name
    out = {}
    for layer, name in named.items():
        value = values[name]
        array = to_exact(value) if value.is_fixed else np.asarray(value.array, dtype=np.float64)
        out[layer] = np.asarray(array).reshape(array.shape[0], -1)
    return out


def hls4ml_model(design, model, output_dir: str):
    """hls4ml's model of ``model`` at ``design``'s types, reuse factor, strategy and io type."""
    hls4ml = _hls4ml()
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vivado")
    types = layer_types(design.kernel)
    reuse = design.options.reuse
    for name, layer in config["LayerName"].items():
        precision = layer.setdefault("Precision", {})
        if not isinstance(precision, dict):
            precision = layer["Precision"] = {"result": precision}
        for role, text in types.get(_our_layer(name, types) or name, {}).items():
            if role in precision or role == "result":
                precision[role] = text
        if isinstance(reuse, int):
            layer["ReuseFactor"] = reuse
        elif isinstance(reuse, dict) and name in reuse:
            layer["ReuseFactor"] = reuse[name]
        layer["Strategy"] = "Resource" if design.options.strategy == "resource" else "Latency"
        layer["Trace"] = True
    names = list(config["LayerName"])
    if names and names[0] not in types and design.kernel.inputs:  # the input layer: the kernel's input type
        text = _type_text(design.kernel.inputs[0].dtype)
        if text:
            config["LayerName"][names[0]]["Precision"] = {"result": text}
    io_type = "io_stream" if design.options.io == "stream" else "io_parallel"
    return hls4ml.converters.convert_from_keras_model(
        model, hls_config=config, output_dir=output_dir, backend="Vivado", io_type=io_type
    )


def _our_layer(traced: str, ours: dict) -> str | None:
    """fpgalab's layer for an hls4ml layer name (hls4ml renames some layers ``<name>_0``)."""
    if traced in ours:
        return traced
    base, _, suffix = traced.rpartition("_")
    return base if suffix.isdigit() and base in ours else None


def _keras_model(design, model):
    if model is None:  # the Keras model compile kept (fpgalab.hls4ml's origin of the design)
        model = getattr(getattr(design, "hls4ml_origin", None), "model", None)
    if model is None or not hasattr(model, "layers"):
        raise ValueError(
            "compare_hls4ml needs the design's Keras model: compile a keras.Model, or pass it as model=..."
        )
    return model


def _notes(design, model) -> tuple[str, ...]:
    notes = []
    for node in design.kernel.nodes:
        if isinstance(node, ir.Pool) and node.kind == "sum" and isinstance(node.acc, FixedType):
            if node.acc != node.dtype:
                notes.append(
                    f"{node.layer}: fpgalab sums the window in {_type_text(node.acc)} (wide enough never to "
                    f"overflow) and keeps {_type_text(node.dtype)}; hls4ml is given that as its accum_t"
                )
    ours = {n.layer for n in design.kernel.nodes}
    for layer in getattr(model, "layers", ()):
        if type(layer).__name__ == "BatchNormalization" and layer.name not in ours:
            notes.append(
                f"{layer.name}: fpgalab folded this BatchNormalization into the layer before it (its weights "
                "scaled and rounded once); hls4ml keeps it a layer of its own at these types, as tables='hls4ml' does"
            )
    if design.options.table_style == "fpgalab":
        notes.append(
            "tables='fpgalab': bin-centred tables, floor indexing and division by a reciprocal, nearer the float "
            "model than hls4ml's; compile with tables='hls4ml' for hls4ml's bits"
        )
    return tuple(notes)


def _mean_error(design, arrays, reference) -> float | None:
    last = design.kernel.nodes[-1].layer
    values = layer_values(design, arrays)
    if last not in values or values[last].shape != reference.shape:
        return None
    return float(np.mean(np.abs(values[last] - reference)))


def compare_hls4ml(design, x, model=None, output_dir: str | None = None, twin=None) -> Hls4mlComparison:
    """Run hls4ml's C simulation and fpgalab's simulator on ``x`` (a batch); compare layer by layer.

    ``twin``: the same design in the other ``tables`` mode, whose error against the float model the
    report adds."""
    model = _keras_model(design, model)
    arrays, _ = design._batch((x,))
    ours = layer_values(design, arrays, model)
    batch = np.asarray(arrays[0], dtype=np.float32).reshape((arrays[0].shape[0],) + tuple(model.input_shape[1:]))
    with tempfile.TemporaryDirectory(prefix="fpgalab_hls4ml_") as folder:
        peer = hls4ml_model(design, model, output_dir or folder)
        prediction, trace = peer.trace(np.ascontiguousarray(batch))
    samples = batch.shape[0]
    matches = []
    for traced, theirs in trace.items():
        layer = _our_layer(traced, ours)
        if layer is None:
            continue
        mine = ours[layer]
        theirs = np.asarray(theirs, dtype=np.float64).reshape(samples, -1)
        if mine.shape != theirs.shape:
            continue
        equal = mine == theirs
        first = None
        if not equal.all():
            sample, index = np.argwhere(~equal)[0]
            first = (int(sample), int(index), float(mine[sample, index]), float(theirs[sample, index]))
        matches.append(LayerMatch(layer, float(equal.mean()), int(equal.size), first))
    reference = np.asarray(model(batch), dtype=np.float64).reshape(samples, -1)
    errors = {}
    for each in (design, twin) if twin is not None else (design,):
        error = _mean_error(each, arrays, reference)
        if error is not None:
            errors[f"fpgalab (tables={each.options.table_style!r})"] = error
    peer = np.asarray(prediction, dtype=np.float64).reshape(samples, -1)
    errors["hls4ml"] = float(np.mean(np.abs(peer - reference)))
    return Hls4mlComparison(design.name, design.options.table_style, tuple(matches), _notes(design, model), errors)
