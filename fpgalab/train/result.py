"""What ``fpgalab.train.pipelined`` returns: accuracy curves, the stages, the pipeline's speed-up."""

from __future__ import annotations

from dataclasses import dataclass

EMULATION_NOTE = (
    "This is an emulation of the arithmetic of pipelined training with stale weights in TensorFlow on "
    "one CPU process, not a run on FPGAs or on several accelerators; the speed-up is what the "
    "partitioned pipeline would give by fpgalab's per-layer cycle estimates, not a measurement."
)


@dataclass(frozen=True)
class Curve:
    name: str
    test_accuracy: tuple[float, ...]  # after each epoch, fraction correct
    train_loss: tuple[float, ...]  # mean minibatch loss over each epoch

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1]


@dataclass(frozen=True)
class PipelinedResult:
    stages: tuple  # fpgalab.train.stages.Stage, forward order
    stage_cycles: tuple[int, ...]  # training cycles per sample of each partition's accelerator
    speedup: float  # total cycles / largest partition's: steady-state throughput over one accelerator
    pipelined: Curve  # pipelined training (pipelined, then ordinary after ``hybrid_after`` epochs)
    ordinary: Curve | None  # ordinary training from the same initial weights and minibatch order
    hybrid_after: int | None
    model: object  # the Keras model trained the pipelined way (a clone; the given model is untouched)
    note: str = EMULATION_NOTE

    @property
    def training_speedup(self) -> float:
        """Over the whole run: the hybrid scheme's ordinary epochs run at one accelerator's pace
        (the other partitions idle), so E epochs take p / speedup + (E - p) epochs' time."""
        if self.hybrid_after is None:
            return self.speedup
        epochs = len(self.pipelined.test_accuracy)
        return epochs / (self.hybrid_after / self.speedup + epochs - self.hybrid_after)

    def table(self) -> str:
        """A markdown table: the stages with their layers, delays and cycles, then the final accuracies."""
        lines = [
            "| stage | layers | weights delay (updates) | cycles / sample |",
            "|---|---|---|---|",
        ]
        for stage, cycles in zip(self.stages, self.stage_cycles):
            lines.append(f"| {stage.index} | {', '.join(stage.layers)} | {stage.delay} | {cycles} |")
        lines += ["", f"throughput speed-up of the partitioned pipeline: {self.speedup:.2f}x"]
        if self.hybrid_after is not None:
            lines.append(
                f"over the whole hybrid run ({self.hybrid_after} pipelined epochs): {self.training_speedup:.2f}x"
            )
        lines.append("")
        lines += ["| training | final test accuracy |", "|---|---|"]
        for curve in (self.ordinary, self.pipelined):
            if curve is not None:
                lines.append(f"| {curve.name} | {100 * curve.final_accuracy:.2f}% |")
        return "\n".join(lines + ["", self.note])

    def figure(self) -> dict:
        """Test accuracy per epoch, pipelined beside ordinary, as a plain plotly figure dict
        (``plotly.graph_objects.Figure(result.figure())``, or displayed as plotly's mime type)."""
        data = []
        for curve in (self.ordinary, self.pipelined):
            if curve is not None:
                epochs = list(range(1, len(curve.test_accuracy) + 1))
                accuracy = [100 * a for a in curve.test_accuracy]
                data.append({"type": "scatter", "mode": "lines", "name": curve.name, "x": epochs, "y": accuracy})
        shapes = []
        if self.hybrid_after is not None:
            line = {"dash": "dot", "color": "grey"}
            shapes.append(
                {
                    "type": "line",
                    "x0": self.hybrid_after,
                    "x1": self.hybrid_after,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": line,
                }
            )
        title = f"stale-weight pipeline, {len(self.stages)} partitions, {self.speedup:.2f}x (emulated)"
        layout = {
            "title": {"text": title},
            "xaxis": {"title": {"text": "epoch"}},
            "yaxis": {"title": {"text": "test accuracy (%)"}},
            "shapes": shapes,
        }
        return {"data": data, "layout": layout}

    def _repr_markdown_(self) -> str:
        return self.table()
