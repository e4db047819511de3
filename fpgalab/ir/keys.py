"""Which IR nodes a user's key names: a Keras layer name, a TF op name (or a scope of it), or a node name."""

from __future__ import annotations

LAYER_SCOPE = "fpgalab_layer_"  # the name scope capture puts around each Keras layer's call


def node_matches(key: str, node) -> bool:
    """Whether an option keyed ``key`` (layer, TF op name or node name) applies to ``node``."""
    op_name = getattr(node, "op_name", "")
    if LAYER_SCOPE in op_name:  # a Keras layer's op: its layer name is exact, its TF scopes are call names
        return key in (node.name, getattr(node, "layer", ""))
    return (
        key in (node.name, getattr(node, "layer", ""))
        or op_name == key
        or op_name.startswith(key + "/")
        or f"/{key}/" in f"/{op_name}/"
    )
