"""HLS directives of the IR: a layer's loop directives and a buffer's partitioning, storage and
channel (set by ``fpgalab.passes``, read by ``fpgalab.schedule``; ``fpgalab.ir.nodes`` re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass, replace

# ---- HLS directives --------------------------------------------------------------------------------

FLATTEN_MODES = ("auto", "full", "none")
PARTITION_KINDS = ("none", "cyclic", "block", "complete")
STORAGE_KINDS = ("auto", "bram", "uram", "lutram", "reg")
CHANNEL_KINDS = ("auto", "fifo", "pipo")


@dataclass(frozen=True)
class Directives:
    """A layer's loop directives; the default is Vitis HLS without pragmas.

    ``unroll``: (loop name, factor) pairs, factor dividing the loop's trip count (trip = full).
    ``pipeline``: pipeline the loop ``pipeline_loop`` ("" = the innermost loop not fully unrolled)
    at target initiation interval ``ii``; loops inside it are fully unrolled. ``flatten``: "auto"
    flattens the perfect part of the nest around the pipelined loop (loops of the same kind,
    Vitis ``loop_flatten``), "full" the whole nest (init and write-back predicated), "none" nothing.
    ``fused_into``: this elementwise node runs inside the loop nest of that producer node.
    ``reuse``: the reuse factor the layer was given (0: none), ``reuse_requested`` the one the user
    asked for, when the closest valid factor was taken instead (``fpgalab.passes.reuse``).
    """

    unroll: tuple[tuple[str, int], ...] = ()
    pipeline: bool = True
    ii: int = 1
    pipeline_loop: str = ""
    flatten: str = "auto"
    fused_into: str = ""
    reuse: int = 0
    reuse_requested: int = 0

    def unroll_of(self, loop: str) -> int:
        return dict(self.unroll).get(loop, 1)


DEFAULT_DIRECTIVES = Directives()


@dataclass(frozen=True)
class PartitionSpec:
    """Array partitioning of one dimension (Vitis ``ARRAY_PARTITION``): ``kind`` none, cyclic, block or complete."""

    kind: str = "none"
    factor: int = 1


@dataclass(frozen=True)
class BufferSpec:
    """Directives of one buffer (input, constant or node output).

    ``partition`` has one PartitionSpec per dimension (empty: not partitioned). ``reshape``: the
    banks the partition makes sit side by side in the words of one memory (Vitis ``ARRAY_RESHAPE``
    with the same types and factors) instead of each in its own. ``storage``: auto,
    bram, uram, lutram or reg. ``channel``: how a dataflow consumer gets it (auto, fifo, pipo)
    and ``depth`` the FIFO depth in elements or the number of ping-pong buffers (0: default).
    """

    name: str
    partition: tuple[PartitionSpec, ...] = ()
    storage: str = "auto"
    channel: str = "auto"
    depth: int = 0
    reshape: bool = False

    def replace(self, **changes) -> BufferSpec:
        return replace(self, **changes)
