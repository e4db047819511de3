"""Which layers form which pipeline stage, and how stale each stage's weights are.

The delay rule follows the pipelined backpropagation of Zhang & Abdelrahman, "Pipelined training
with stale weights of deep convolutional neural networks" (arXiv:1912.12675; Applied Computational
Intelligence and Soft Computing, 2021, doi:10.1155/2021/3839543).  Pipeline registers placed after
some layers (the paper's pipeline placement vector) cut the network into k partitions; each
partition is one forward stage and one backward stage, so the pipeline has K = 2k stages (the
paper's 4-stage pipelines have one register): the forward stages of partitions 1..k, then the
backward stages of partitions k..1.  One minibatch enters per pipeline step and a partition's
weights are updated as soon as its backward stage has run, with no weight stashing and no
micro-batching.  Derived from that schedule: minibatch t reaches the forward stage of partition i
at step t + i - 1; by then the backward stage of partition i (step t' + 2k - i for minibatch t') has
finished only for minibatches t' <= t - 2(k - i) - 2, so t - 2(k - i) - 1 updates have landed where
non-pipelined training would have had all t.  Partition i computes with weights

    d_i = 2(k - i) + 1  updates old   (i = 1 .. k, k >= 2),

the first partition the stalest (2k - 1), the last one a single update behind.  With k = 1 there is
no pipeline register: forward and backward run one after the other on the same weights, d_1 = 0.
Pipelining "only the early layers" in the paper's sense is a register after an early layer: the
first partition holds those layers and the last partition the rest of the network.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    index: int  # 1-based position in the forward order
    layers: tuple[str, ...]  # Keras layer names, in forward order (weightless layers included)
    delay: int  # how many updates old the weights this stage computes with are


def stage_delays(stages: int) -> tuple[int, ...]:
    """The staleness of each of ``stages`` partitions (module docstring): 2(k - i) + 1, or 0 for k = 1."""
    if not isinstance(stages, int) or isinstance(stages, bool) or stages < 1:
        raise ValueError(f"stages={stages!r}: give a whole number of pipeline partitions, 1 or more")
    if stages == 1:
        return (0,)
    return tuple(2 * (stages - i) + 1 for i in range(1, stages + 1))


def weighted_layers(model) -> list[str]:
    """Names of the model's layers that own trainable weights, in forward order."""
    return [layer.name for layer in model.layers if layer.trainable_weights]


def split_stages(model, stages: int | None = None, boundaries=None) -> tuple[Stage, ...]:
    """Cut ``model`` into pipeline partitions.

    ``boundaries``: names of layers after which a pipeline register sits (the paper's placement
    vector); ``stages`` is then len(boundaries) + 1.  Without boundaries, the layers with weights are
    split evenly (in count) into ``stages`` partitions.  A layer without weights (pooling, flatten,
    activation) joins the partition of the layer before it, or the first partition if it comes
    before every layer with weights.
    """
    names = [layer.name for layer in model.layers]
    weighted = weighted_layers(model)
    if not weighted:
        raise ValueError(f"model {model.name!r} has no layer with trainable weights; nothing to train")
    cuts = _cuts(names, weighted, stages, boundaries)
    delays = stage_delays(len(cuts) + 1)
    groups: list[list[str]] = [[]]
    for pos, name in enumerate(names):
        groups[-1].append(name)
        if pos in cuts:
            groups.append([])
    return tuple(Stage(i + 1, tuple(g), d) for i, (g, d) in enumerate(zip(groups, delays)))


def _cuts(names, weighted, stages, boundaries) -> set[int]:
    """Positions in ``names`` after which a register sits."""
    if boundaries is None:
        k = 1 if stages is None else stages
        stage_delays(k)  # validates k
        if k > len(weighted):
            raise ValueError(
                f"stages={k} but the model has only {len(weighted)} layers with weights ({', '.join(weighted)}); "
                f"give at most {len(weighted)} stages"
            )
        cuts = set()
        for i in range(1, k):  # partition i ends at the last weighted layer of an even split
            last_weighted = weighted[(i * len(weighted)) // k - 1]
            cuts.add(_after_weightless(names, weighted, names.index(last_weighted)))
        return cuts
    if isinstance(boundaries, str):
        boundaries = (boundaries,)
    boundaries = tuple(boundaries)
    unknown = [b for b in boundaries if b not in names]
    if unknown:
        raise ValueError(f"boundaries name layers {unknown} that the model lacks; its layers are {names}")
    if stages is not None and stages != len(boundaries) + 1:
        raise ValueError(
            f"stages={stages} disagrees with {len(boundaries)} boundaries ({len(boundaries) + 1} stages); "
            "give one or make them agree"
        )
    positions = [names.index(b) for b in boundaries]
    if positions != sorted(set(positions)):
        raise ValueError(f"boundaries {list(boundaries)} must be distinct and in forward order")
    if positions and positions[-1] == len(names) - 1:
        raise ValueError(f"boundary {boundaries[-1]!r} is the last layer; a register after it cuts off nothing")
    cuts = set()
    start = 0
    for pos in [*positions, len(names) - 1]:
        if not any(n in weighted for n in names[start : pos + 1]):
            raise ValueError(
                f"boundaries {list(boundaries)} leave a stage ({names[start : pos + 1]}) without a layer "
                "with weights; every stage needs one"
            )
        start = pos + 1
    cuts.update(positions)
    return cuts


def _after_weightless(names, weighted, pos) -> int:
    """Move a cut past the weightless layers that follow a weighted one (they join its stage)."""
    while pos + 1 < len(names) and names[pos + 1] not in weighted:
        pos += 1
    return pos
