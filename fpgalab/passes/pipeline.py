"""Loop pipelining with a target initiation interval (Vitis ``#pragma HLS PIPELINE II=N``).

``pipeline=True`` (the default, as Vitis HLS pipelines innermost loops at II=1) pipelines each
layer's innermost loop that is not fully unrolled; ``pipeline=False`` turns pipelining off (the
LeFlow-like naive design); ``pipeline=2`` asks for II=2; a dict per layer may also name the loop
to pipeline (loops inside it are fully unrolled) and the flattening:
``pipeline={"fc1": {"ii": 1, "loop": "i1", "flatten": "full"}}``. ``flatten`` (design-wide or per
layer) is "auto" (flatten the perfect part of the nest, as Vitis ``loop_flatten``), "full" (the
whole nest as one pipeline) or "none". An II below 1 or an unknown loop is a ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import kernel_shapes, loop_nest
from fpgalab.options import check_keys
from fpgalab.passes.overrides import resolve


def pipeline_fields(spec, node: ir.Node, shapes: dict) -> dict:
    """Directive fields for one layer from ``True``/``False``/II/{"ii", "loop", "flatten"}."""
    where = f"pipeline of layer {node.layer or node.name}"
    if isinstance(spec, bool):
        return {"pipeline": spec}
    if isinstance(spec, int):
        if spec < 1:
            raise ValueError(f"{where}: the target II must be at least 1, got {spec}")
        return {"pipeline": True, "ii": spec}
    if isinstance(spec, tuple):  # a frozen dict
        fields = dict(spec)
        unknown = sorted(set(fields) - {"ii", "loop", "flatten", "enabled"})
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: ii, loop, flatten, enabled")
        result = {"pipeline": bool(fields.get("enabled", True))}
        if "ii" in fields:
            ii = fields["ii"]
            if isinstance(ii, bool) or not isinstance(ii, int) or ii < 1:
                raise ValueError(f"{where}: the target II must be an integer of at least 1, got {ii!r}")
            result["ii"] = ii
        if "loop" in fields:
            names = [lp.name for lp in loop_nest(node, shapes)]
            if fields["loop"] not in names:
                raise ValueError(f"{where}: no loop {fields['loop']!r}; its loops are {', '.join(names) or 'none'}")
            result["pipeline_loop"] = fields["loop"]
        if "flatten" in fields:
            result["flatten"] = check_flatten(fields["flatten"], where)
        return result
    raise ValueError(
        f"{where} must be True, False, a target II (int >= 1) or a dict with ii/loop/flatten, got {spec!r}"
    )


def check_flatten(value, where: str) -> str:
    if value not in ir.FLATTEN_MODES:
        raise ValueError(f"{where}: flatten must be one of {', '.join(ir.FLATTEN_MODES)}, got {value!r}")
    return value


@dataclass(frozen=True)
class Pipeline:
    """Set the pipeline directives of every layer; ``flatten`` (if given) applies design-wide first."""

    default: object = True
    layers: tuple = ()
    flatten: str | None = None
    name: str = "pipeline"

    def run(self, kernel: ir.Kernel) -> ir.Kernel:
        check_keys(self.layers, kernel, "pipeline")
        if self.flatten is not None:
            check_flatten(self.flatten, "flatten")
        shapes = kernel_shapes(kernel)
        values, _ = resolve(kernel, self.default, self.layers)
        nodes = []
        for node in kernel.nodes:
            if not isinstance(node, ir.Reshape):
                fields = pipeline_fields(values[node.name], node, shapes)
                if self.flatten is not None and "flatten" not in fields:
                    fields["flatten"] = self.flatten
                if any(getattr(node.directives, key) != value for key, value in fields.items()):
                    node = node.replace(directives=replace(node.directives, **fields))
            nodes.append(node)
        return kernel.replace(nodes=tuple(nodes))
