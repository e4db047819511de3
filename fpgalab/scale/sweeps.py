"""Yosys synthesis and backend verification of many designs, on the executor ``fpgalab.scale.executor`` resolves.

    results = fpgalab.synthesize(designs, workers=2)               # [SynthesisResult | Failed, ...]
    reports = fpgalab.verify_designs(designs, executor="tcp://host:8786")  # [VerifyReport | Failed, ...]

A design travels to a worker as its JSON document (``Design.to_json``, without the HLO text and the
TensorFlow reference, which neither step reads) and is read back there with ``Design.from_json``;
serially, the designs are used as they are. The results are in the order of ``designs``; a design
whose step failed is a ``Failed`` with the error, and the others go on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from fpgalab.design import Design
from fpgalab.scale.executor import run_points


@dataclass(frozen=True)
class Failed:
    """A design whose synthesis or verification raised: its place in the list and the error."""

    index: int
    error: str

    ok = False


def shippable(design: Design) -> str:
    """The design's JSON document as a worker reads it: kernel, float kernel, options, shapes."""
    return dataclasses.replace(design, hlo_source="", reference=None).to_json()


def synthesize_document(text: str):
    """Yosys synthesis of a design given as its JSON document (what runs on a worker)."""
    from fpgalab.verify.yosys import run_yosys  # noqa: PLC0415

    return run_yosys(Design.from_json(text))


def _synthesize_design(design: Design):
    from fpgalab.verify.yosys import run_yosys  # noqa: PLC0415

    return run_yosys(design)


@dataclass(frozen=True)
class VerifyTask:
    """Verification of a design's JSON document on a worker, with ``fpgalab.verify.verify_design``'s options."""

    rtl: bool
    samples: int
    inputs: object = None

    def __call__(self, text: str):
        return self.run(Design.from_json(text))

    def run(self, design: Design):
        from fpgalab.verify import verify_design  # noqa: PLC0415

        return verify_design(design, rtl=self.rtl, inputs=self.inputs, samples=self.samples)


def _designs(designs) -> list[Design]:
    designs = list(designs) if not isinstance(designs, Design) else [designs]
    wrong = [type(d).__name__ for d in designs if not isinstance(d, Design)]
    if wrong:
        raise ValueError(f"designs must be fpgalab Designs (from fpgalab.compile), got {', '.join(sorted(set(wrong)))}")
    return designs


def _run(step, remote_step, designs, executor, workers, progress, title, labels=None) -> list:
    designs = _designs(designs)
    labels = [f"{k}: {d.name}" for k, d in enumerate(designs)] if labels is None else labels
    if executor is None and workers is None:
        outcomes = run_points(step, designs, labels, progress=progress, title=title)
    else:
        texts = [shippable(d) for d in designs]
        outcomes = run_points(remote_step, texts, labels, executor, workers, progress, title)
    return [o.value if o.ok else Failed(k, o.error) for k, o in enumerate(outcomes)]


def synthesize(designs, executor=None, workers=None, progress=None, labels=None) -> list:
    """Yosys synthesis of each design (``Design.synthesize``), in order: a ``SynthesisResult`` each,
    ``Failed`` where it raised. ``executor``, ``workers``, ``progress``: see ``fpgalab.scale.executor``;
    ``labels``: what the progress names each design by (its place and name by default)."""
    return _run(_synthesize_design, synthesize_document, designs, executor, workers, progress, "synthesis", labels)


def verify(designs, rtl: bool = True, inputs=None, samples: int = 2, executor=None, workers=None, progress=None):
    """``Design.verify`` of each design, in order: a ``VerifyReport`` each, ``Failed`` where it raised.
    ``executor``, ``workers``, ``progress``: see ``fpgalab.scale.executor``."""
    task = VerifyTask(rtl, samples, inputs)
    return _run(task.run, task, designs, executor, workers, progress, "verification")
