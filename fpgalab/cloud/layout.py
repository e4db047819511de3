"""How a batch's values lie in the AXI words of a port, and what the batch kernel's loops cost.

The card model (``fpgalab.cloud.deploy``) and the Vitis export (``fpgalab.cloud.vitis``) share this,
so the bytes the model moves and the cycles it charges are those of the kernel that is written.
A port carries one network input or output; the samples of a batch follow each other. ``pack=``:

* ``"sample"`` (the default): no sample straddles two words. A sample of ``count x width`` bits
  that fits in one word shares it with as many whole samples as fit (``axi_width // (count x width)``);
  a larger sample starts a new word and takes ``ceil(count / (axi_width // width))`` words. The kernel
  unpacks a whole sample from its word(s) with every value in parallel (the layout hls4ml's Alveo
  wrapper uses: one sample a 512-bit word), so with an ``io="parallel"`` network its batch loop is one
  pipeline taking a sample every ``max(interval, words a sample)`` cycles.
* ``"dense"`` (``pack=True``): values back to back, as many whole values a word as fit
  (``axi_width // width``), samples straddling words. The fewest bytes, but the kernel takes the
  values one a cycle (a lane counter over the words), so each sample costs its values' count.
* ``"value"`` (``pack=False``): one value a word, in its low bits; one a cycle as well.

With any other network (``io="layered"``, ``io="stream"``) and the "sample" layout the loop body is a
dataflow region (read, network, write) whose samples overlap, one every ``max(interval, words a
sample)`` cycles as well (``loop_kind``). With the "dense" or "value" layout the kernel handles a
sample at a time: read its words, run the network (its latency), write the outputs.

Value ``k`` of a word lies in bits ``[k x width, (k+1) x width)``, two's complement; a sample sharing
a word starts at bit ``(s mod samples-a-word) x count x width``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LAYOUTS = ("sample", "dense", "value")


def layout_name(pack) -> str:
    """The layout ``pack`` asks for: ``True`` is "dense", ``False`` is "value"."""
    if pack is True:
        return "dense"
    if pack is False:
        return "value"
    if isinstance(pack, str) and pack in LAYOUTS:
        return pack
    raise ValueError(
        f"pack must be 'sample' (whole samples a word), 'dense' or True (values back to back), "
        f"'value' or False (one value a word); got {pack!r}"
    )


@dataclass(frozen=True)
class Layout:
    kind: str  # one of LAYOUTS
    width: int  # bits of one value
    count: int  # values of one sample
    axi_width: int  # bits of one AXI word

    def __post_init__(self):
        if self.width > self.axi_width:
            raise ValueError(f"a {self.width}-bit value does not fit one {self.axi_width}-bit AXI word")

    @property
    def per_word(self) -> int:
        """Values one word holds."""
        return 1 if self.kind == "value" else self.axi_width // self.width

    @property
    def samples_per_word(self) -> int:
        """Whole samples one word holds ("sample" layout; 0 when a sample needs more than a word)."""
        return self.axi_width // (self.count * self.width) if self.kind == "sample" else 0

    @property
    def words_per_sample(self) -> int:
        """Words one sample starts and fills ("sample" layout with samples larger than a word)."""
        return math.ceil(self.count / self.per_word)

    def words(self, batch: int) -> int:
        """Words a batch of ``batch`` samples takes."""
        if self.kind == "sample":
            spw = self.samples_per_word
            return math.ceil(batch / spw) if spw else batch * self.words_per_sample
        return math.ceil(batch * self.count / self.per_word)

    def words_c(self, batch: str) -> str:
        """``words`` as a C expression of the variable ``batch``."""
        if self.kind == "sample":
            spw = self.samples_per_word
            return f"(({batch} + {spw - 1}L) / {spw})" if spw else f"({batch} * {self.words_per_sample}L)"
        return f"(({batch} * {self.count}L + {self.per_word - 1}) / {self.per_word})"

    def place(self, sample: int, index: int) -> tuple[int, int]:
        """(word, first bit) of value ``index`` of sample ``sample``."""
        if self.kind == "sample":
            spw = self.samples_per_word
            if spw:
                return sample // spw, (sample % spw) * self.count * self.width + index * self.width
            word, lane = divmod(index, self.per_word)
            return sample * self.words_per_sample + word, lane * self.width
        word, lane = divmod(sample * self.count + index, self.per_word)
        return word, lane * self.width

    @property
    def cycles_per_sample(self) -> int:
        """Cycles the kernel's loop over this port spends on one sample: one a word for "sample"
        (a word holding several samples is read once for all of them), one a value otherwise."""
        if self.kind == "sample":
            return 1 if self.samples_per_word else self.words_per_sample
        return self.count


def loop_kind(design, layouts) -> str:
    """How the kernel's batch loop runs, from the network's architecture and the ports' layouts:

    * "pipeline": an ``io="parallel"`` network (one pipelined function) with every port in the
      "sample" layout: the loop is one pipeline (``PIPELINE II``).
    * "dataflow": any other architecture with every port in the "sample" layout: the loop body is a
      dataflow region of three processes, read a sample / the network / write its outputs
      (UG1399's canonical form "dataflow inside a loop body"), so they overlap across samples, and
      the network, itself a dataflow region of layer processes (``io="layered"`` with
      ``dataflow=True``, ``io="stream"``), takes a sample every interval rather than every latency.
    * "sample": a port in the "dense" or "value" layout (its lane counter carries from sample to
      sample): a sample at a time, its words, the network's latency, its output words.
    """
    if not all(layout.kind == "sample" for layout in layouts):
        return "sample"
    return "pipeline" if design.options.io == "parallel" else "dataflow"


def batch_cycles(batch: int, inputs, outputs, latency: int, interval: int, pipelined_loop: bool) -> int:
    """Cycles the batch kernel's loop takes over ``batch`` samples (``inputs``/``outputs``: the ports'
    layouts; ``latency``/``interval``: the network's). Samples overlapping (``pipelined_loop``, a
    ``loop_kind`` other than "sample"): a sample
    every ``max(interval, cycles a sample on any port)``; otherwise each sample reads, runs the network
    and writes in turn."""
    if pipelined_loop:
        step = max([interval] + [p.cycles_per_sample for p in (*inputs, *outputs)])
        return (batch - 1) * step + latency + 2  # a cycle to read the first word, one to write the last
    per_sample = sum(p.cycles_per_sample for p in inputs) + latency + sum(p.cycles_per_sample for p in outputs)
    return batch * per_sample
