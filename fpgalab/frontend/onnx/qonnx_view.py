"""QONNX's quantization nodes in an ONNX graph, and the standard view onnx's own tools can read.

QONNX (ONNX with ``Quant``, ``BipolarQuant`` and ``Trunc`` from a custom domain, as Brevitas, QKeras
and FINN write it) is ONNX that ``onnx.checker``, shape inference and the version converter do not
know. Each such node keeps the shape of its first input, so while those tools read the graph it is
an ``Identity`` of that input (``standard_view``); afterwards the nodes are put back in place of
their Identities (``restore_qonnx_nodes``), found by their output names, which the tools keep.
"""

from __future__ import annotations

QONNX_OPS = ("Quant", "BipolarQuant", "Trunc")
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "qonnx", "finn", "onnx.brevitas")


def is_qonnx_node(node) -> bool:
    return node.op_type in QONNX_OPS and node.domain in QONNX_DOMAINS + ("",)


def standard_view(model):
    """(a copy of ``model`` with each QONNX node an Identity of its first input, {output: the node});
    the model itself when it has none."""
    import onnx  # noqa: PLC0415

    if not any(is_qonnx_node(n) for n in model.graph.node):
        return model, {}
    view = onnx.ModelProto()
    view.CopyFrom(model)
    saved = {}
    for node in view.graph.node:
        if is_qonnx_node(node):
            original = onnx.NodeProto()
            original.CopyFrom(node)
            saved[node.output[0]] = original
            identity = onnx.helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name)
            node.CopyFrom(identity)
    kept = [o for o in view.opset_import if o.domain not in QONNX_DOMAINS]
    del view.opset_import[:]
    view.opset_import.extend(kept)
    return view, saved


def restore_qonnx_nodes(model, saved: dict):
    """``model`` with the QONNX nodes of ``saved`` back in place of their Identities."""
    for node in model.graph.node:
        if node.op_type == "Identity" and node.output and node.output[0] in saved:
            node.CopyFrom(saved[node.output[0]])
    return model
