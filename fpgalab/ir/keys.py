"""Which IR nodes a user's key names: a Keras layer name, a TF op name (or a scope of it), or a node name."""

from __future__ import annotations


def node_matches(key: str, node) -> bool:
    """Whether an option keyed ``key`` (layer, TF op name or node name) applies to ``node``."""
    op_name = getattr(node, "op_name", "")
    return (
        key in (node.name, getattr(node, "layer", ""))
        or op_name == key
        or op_name.startswith(key + "/")
        or f"/{key}/" in f"/{op_name}/"
    )
