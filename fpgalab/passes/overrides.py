"""Per-design defaults with per-layer overrides, as the HLS passes take them.

An option is a value for the whole design or a dict keyed by Keras layer name, TF op name or
node name (``fpgalab.ir.keys.node_matches``), with an optional ``"default"`` key:
``unroll={"conv1": 5, "default": 1}``. Passes hold them as ``(key, value)`` tuples so that they
stay frozen and hashable; the last matching key wins. Keys are checked against the model by
``fpgalab.options.check_keys``.
"""

from __future__ import annotations

from fpgalab.ir import nodes as ir
from fpgalab.ir.keys import node_matches
from fpgalab.options import check_keys


def freeze(value):
    """Dicts and lists as sorted tuples of pairs / tuples (hashable, comparable)."""
    if isinstance(value, dict):
        return tuple((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def split(option, default) -> tuple[object, tuple]:
    """(design default, per-layer overrides) of an option as the user wrote it."""
    if isinstance(option, dict):
        rest = tuple((k, freeze(v)) for k, v in option.items() if k != "default")
        return freeze(option.get("default", default)), rest
    return freeze(option if option is not None else default), ()


PRIMARY = (ir.Dot, ir.Conv, ir.Pool, ir.Reduce)


def targets(key: str, kernel: ir.Kernel) -> set[str]:
    """Names of the nodes a layer key sets loop directives of: its dot, convolution, pool or reduce
    nodes when it has any (a Keras layer's activation follows its layer), else every node it names."""
    nodes = [n for n in kernel.nodes if node_matches(key, n)]
    primary = [n for n in nodes if isinstance(n, PRIMARY)]
    return {n.name for n in (primary or nodes)}


def resolve(kernel: ir.Kernel, default, overrides: tuple) -> tuple[dict, set]:
    """({node name: value}, names set by an override): the last override naming a node wins."""
    values = {n.name: default for n in kernel.nodes}
    explicit = set()
    for key, value in overrides:
        for name in targets(key, kernel):
            values[name] = value
            explicit.add(name)
    return values, explicit


def is_buffer_key(key: str, kernel: ir.Kernel) -> bool:
    """Whether a key names a buffer (input, constant or node output) rather than a layer."""
    names = {b.name for b in (*kernel.inputs, *kernel.constants)} | {n.name for n in kernel.nodes}
    return key in names and not any(n.layer == key for n in kernel.nodes)


def layer_constants(node: ir.Node, kernel: ir.Kernel) -> list[str]:
    constants = {c.name for c in kernel.constants}
    return [name for name in node.inputs if name in constants]


def set_buffer_specs(kernel: ir.Kernel, option: str, field: str, default, specs: tuple, check) -> ir.Kernel:
    """Set ``BufferSpec.<field>``: ``default`` for every layer's constants, then each ``(key, value)``
    of ``specs`` for the buffer the key names or for the constants of the layers it names (the last
    wins). ``check(value, where)`` refuses a bad value; keys naming nothing are refused by ``check_keys``."""
    check(default, "the design")
    check_keys(specs, kernel, option, buffers_allowed=True)
    chosen = {c.name: default for c in kernel.constants}
    for key, value in specs:
        check(value, repr(key))
        if is_buffer_key(key, kernel):
            chosen[key] = value
            continue
        for node in kernel.nodes:
            if node_matches(key, node):
                chosen.update(dict.fromkeys(layer_constants(node, kernel), value))
    for buffer, value in chosen.items():
        spec = kernel.buffer_spec(buffer)
        if getattr(spec, field) != value:
            kernel = kernel.with_buffer_spec(spec.replace(**{field: value}))
    return kernel
