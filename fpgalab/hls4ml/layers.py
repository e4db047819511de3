"""The layers hls4ml makes of a model, named as hls4ml names them, and the IR nodes each one is.

hls4ml's Keras reader (``parse_keras_v3_model``) makes one layer per Keras layer, named after it, and
splits a layer's ``activation`` argument into a layer of its own named ``<layer>_<activation>``
(class ``Activation``, or ``Softmax`` for softmax); an ``Activation("softmax")`` layer is a
``Softmax``. fpgalab's IR keeps the Keras layer of every node (``Node.layer``), so the same list is
read off a kernel: a layer with a dot or convolution is that weight layer, and the nodes after it its
activation layer. With the Keras model at hand (``keras_layers``) the class names are Keras's own;
without it (a design rebuilt by ``explore``) they are read off the nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgalab.ir import nodes as ir

MOVES = (ir.Reshape, ir.Transpose)  # data movement inside a layer: no hls4ml layer of its own
MERGE_CLASSES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")
WEIGHT_CLASSES = ("Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D")


@dataclass(frozen=True)
class Hls4mlLayer:
    """One layer as hls4ml names it and the fpgalab nodes that compute it."""

    name: str  # hls4ml's layer name
    class_name: str  # hls4ml's class name (the LayerType key)
    kind: str  # input | weight | activation | softmax | other
    layer: str  # the Keras layer (fpgalab's per-layer key of the layer's main part)
    nodes: tuple[str, ...] = ()  # the IR nodes (for an activation split off a layer: the keys of its part)
    function: str = ""  # an activation's table function (tanh, sigmoid ...), "" for relu-like ones
    primary: str = ""  # a weight layer's dot or convolution node

    @property
    def split(self) -> bool:
        """Whether this is the activation hls4ml splits off a Keras layer (keyed by its nodes in fpgalab)."""
        return self.kind in ("activation", "softmax") and self.name != self.layer


ACTIVATION_CLASSES = {"softmax": "Softmax", "hard_sigmoid": "HardActivation", "leaky_relu": "LeakyReLU", "elu": "ELU"}
RENAMED = {"Flatten": "Reshape", "ReLU": "Activation"}  # hls4ml's Keras 3 handlers (converters/keras_v3/core.py)


def activation_class(activation: str) -> str:
    """hls4ml's class of an activation function's layer (``KerasV3LayerHandler``'s match)."""
    return ACTIVATION_CLASSES.get(activation, "Activation")


def keras_layers(model) -> dict:
    """``{layer name: (class name, activation)}`` of a Keras model (duck-typed: fpgalab imports no Keras
    here); ``{}`` for anything else."""
    layers = getattr(model, "layers", None)
    if layers is None or not callable(getattr(model, "get_config", None)):
        return {}
    info = {}
    for layer in layers:
        try:
            config = layer.get_config()
        except Exception:  # noqa: BLE001 - a custom layer without a config: its class is still known
            config = {}
        activation = config.get("activation", "")
        activation = activation if isinstance(activation, str) else ""
        class_name = type(layer).__name__
        if class_name == "Activation":
            class_name = activation_class(activation)
        info[layer.name] = (RENAMED.get(class_name, class_name), activation)
    for tensor in getattr(model, "inputs", None) or ():  # a Sequential model's InputLayer is not in .layers
        history = getattr(tensor, "_keras_history", None)
        operation = history[0] if history else None
        if operation is not None and type(operation).__name__ == "InputLayer":
            info.setdefault(operation.name, ("InputLayer", ""))
    return info


def _ops(expr) -> set:
    if isinstance(expr, ir.Op):
        return {expr.op}.union(*(_ops(a) for a in expr.args))
    return set()


def _activation(nodes: list) -> tuple[str, str]:
    """(kind, function) of an activation's nodes: softmax, a table function, or relu-like."""
    ops = set().union(*(_ops(n.expr) for n in nodes if isinstance(n, ir.Elementwise)))
    if any(isinstance(n, ir.Reduce) for n in nodes) and "exp" in ops:
        return "softmax", "softmax"
    if not all(isinstance(n, (ir.Elementwise, *MOVES)) for n in nodes) or all(isinstance(n, MOVES) for n in nodes):
        return "other", ""
    tables = sorted({ir.TABLE_OPS[op] for op in ops if op in ir.TABLE_OPS}, key=lambda f: (f == "reciprocal", f))
    return "activation", tables[0] if tables else ""  # the kind follows the node classes, which passes keep


def _weight_class(node, kernel: ir.Kernel) -> str:
    if isinstance(node, ir.Dot):
        return "Dense"
    rank = len(kernel.buffers()[node.inputs[1]].shape)
    depthwise = node.groups > 1 and node.groups == kernel.buffers()[node.inputs[0]].shape[-1]
    return ("DepthwiseConv" if depthwise else "Conv") + ("1D" if rank == 3 else "2D")


def _activation_name(function: str, kind: str) -> str:
    """The activation's name in hls4ml's layer name when the Keras model is not at hand."""
    if kind == "softmax":
        return "softmax"
    return function or "relu"


def hls4ml_layers(kernel: ir.Kernel, keras: dict | None = None) -> list[Hls4mlLayer]:
    """hls4ml's layers of ``kernel`` in order (inputs first); ``keras`` from ``keras_layers`` names the
    classes and activations exactly."""
    keras = keras or {}
    names = [name for name, (class_name, _) in keras.items() if class_name == "InputLayer"]
    if len(names) != len(kernel.inputs):  # hls4ml names an input after its InputLayer; without one, the IR's
        names = [i.name for i in kernel.inputs]
    layers = [Hls4mlLayer(name, "InputLayer", "input", i.name) for name, i in zip(names, kernel.inputs)]
    groups: dict[str, list] = {}
    for node in kernel.nodes:
        groups.setdefault(node.layer or node.name, []).append(node)
    for name, nodes in groups.items():
        keras_class, keras_activation = keras.get(name, ("", ""))
        primary = next((i for i, n in enumerate(nodes) if isinstance(n, (ir.Dot, ir.Conv))), None)
        if primary is not None:
            end = primary + 1
            while end < len(nodes) and isinstance(nodes[end], MOVES):  # a 1-D convolution's squeeze
                end += 1
            main, rest = nodes[:end], nodes[end:]
            layers.append(
                Hls4mlLayer(
                    name,
                    keras_class or _weight_class(nodes[primary], kernel),
                    "weight",
                    name,
                    tuple(n.name for n in main),
                    primary=nodes[primary].name,
                )
            )
            if rest:
                kind, function = _activation(rest)
                act = keras_activation if keras_activation not in ("", "linear") else _activation_name(function, kind)
                layers.append(
                    Hls4mlLayer(
                        f"{name}_{act}",
                        activation_class(act),
                        "softmax" if kind == "softmax" else "activation",
                        name,
                        tuple(n.name for n in rest),
                        "" if kind == "softmax" else function,
                    )
                )
            continue
        kind, function = _activation(nodes)
        if keras_class in MERGE_CLASSES:
            kind = "other"
        class_name = keras_class or {"softmax": "Softmax", "activation": "Activation"}.get(
            kind, type(nodes[0]).__name__
        )
        layers.append(Hls4mlLayer(name, class_name, kind, name, tuple(n.name for n in nodes), function))
    return layers
