"""The ``Design`` that ``fpgalab.compile`` (``fpgalab.frontends``) returns, and ``build_design``."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np

from fpgalab.accuracy import AccuracyReport, compare_outputs
from fpgalab.engines import OVERFLOW_PROBE, choose_engine, jit_kernel
from fpgalab.ir import nodes as ir
from fpgalab.ir.printer import format_kernel
from fpgalab.ir.types import FixedType
from fpgalab.ir.verify import verify_kernel
from fpgalab.options import Options, parse_options, parse_precision
from fpgalab.passes import graph_passes, hls_passes, run_pipeline
from fpgalab.passes.hls4ml_semantics import hls4ml_tables
from fpgalab.passes.quantize import AssignPrecision
from fpgalab.passes.softmax import fit_options
from fpgalab.persist import design_document, read_design_document
from fpgalab.sim.functional import run_kernel
from fpgalab.sim.overflow import Overflow, Tally, overflow_warning
from fpgalab.sim.values import SimContext, SimValue, to_exact, to_float


@dataclass
class Design:
    """A compiled design: its typed IR, the float32 IR it came from, options and the captured HLO text."""

    name: str
    kernel: ir.Kernel
    float_kernel: ir.Kernel
    options: Options
    example_shapes: tuple[tuple[int, ...], ...]
    hlo_source: object = ""  # the HLO text, or a function that asks XLA for it the first time it is shown
    timings: tuple[tuple[str, float], ...] = ()
    reference: object = field(default=None, repr=False, compare=False)  # TensorFlow float callable, if captured

    def __post_init__(self):
        if self.options.table_style == "hls4ml":  # hls4ml's softmax tables follow the softmax's input type
            tables = hls4ml_tables(self.kernel, self.options.tables)
            if tables is not self.options.tables:
                self.options = dataclasses.replace(self.options, tables=tables)

    # ---- views
    @property
    def hlo_text(self) -> str:
        """XLA's pre-optimisation HLO text (fetched from XLA on first use, then kept)."""
        if callable(self.hlo_source):
            self.hlo_source = self.hlo_source()
        return self.hlo_source

    def ir_text(self, loops: bool = True) -> str:
        return format_kernel(self.kernel, loops)

    def __repr__(self) -> str:
        return (
            f"<Design {self.name}: {len(self.kernel.nodes)} nodes, precision {self.options.precision_text}, "
            f"{self.options.device} at {self.options.clock_mhz:g} MHz>"
        )

    # ---- HLS: schedule, timing, resources
    @property
    def device(self):
        """The part (``fpgalab.parts.Device``) the design is estimated against."""
        cached = getattr(self, "_device", None)
        if cached is None:
            from fpgalab.parts import load_device  # noqa: PLC0415

            cached = self._device = load_device(self.options.device)
        return cached

    @property
    def schedule(self):
        """The scheduled design (``fpgalab.schedule.Schedule``): loops, II, depth, operators, buffers."""
        cached = getattr(self, "_schedule", None)
        if cached is None:
            from fpgalab.schedule import schedule_kernel  # noqa: PLC0415
            from fpgalab.schedule.io_parallel import schedule_parallel  # noqa: PLC0415
            from fpgalab.schedule.io_stream import schedule_stream  # noqa: PLC0415

            options = self.options
            if options.io == "parallel":
                cached = schedule_parallel(
                    self.kernel, self.device, options.clock_mhz, options.clock_uncertainty, options.strategy
                )
            elif options.io == "stream":
                cached = schedule_stream(
                    self.kernel, self.device, options.clock_mhz, options.clock_uncertainty, options.strategy
                )
            else:
                cached = schedule_kernel(
                    self.kernel, self.device, options.clock_mhz, dict(options.tables), options.table_type
                )
            self._schedule = cached
        return cached

    @property
    def timing(self):
        """Cycle-approximate timing (``fpgalab.schedule.timing.TimingReport``)."""
        cached = getattr(self, "_timing", None)
        if cached is None:
            from fpgalab.schedule.timing import simulate_timing  # noqa: PLC0415

            cached = self._timing = simulate_timing(self.schedule)
        return cached

    @property
    def resources(self):
        """Resource estimate (``fpgalab.estimate.ResourceReport``) against the design's part, as the
        synthesis flow of ``options.flow`` builds it ("hls": Vitis HLS, "yosys": fpgalab's Verilog)."""
        cached = getattr(self, "_resources", None)
        if cached is None:
            from fpgalab.estimate import design_resources  # noqa: PLC0415

            cached = self._resources = design_resources(self, self.options.flow)
        return cached

    @property
    def fits(self) -> bool:
        """Whether the estimated resources fit the part (a design that does not fit is reported, not refused)."""
        return self.resources.fits

    def report(self):
        """Cycles, interval, latency, throughput, resources, utilisation and fit, per layer and total."""
        from fpgalab.estimate import design_report  # noqa: PLC0415
        from fpgalab.estimate.buildcheck import check_build  # noqa: PLC0415

        report = design_report(self.name, self.schedule, self.timing, self.resources, self.device)
        build = check_build(self)
        if build:
            report = dataclasses.replace(report, build=build, warnings=tuple(map(str, build)) + report.warnings)
        seen = getattr(self, "_overflows", ())
        if not seen:
            return report
        notes = tuple(f"overflow in the last simulation: {o.describe()}" for o in seen)
        return dataclasses.replace(report, warnings=report.warnings + notes)

    # ---- simulation
    def _context(self, tally: Tally | None = None) -> SimContext:
        return SimContext(tables=dict(self.options.tables), table_type=self.options.table_type, tally=tally)

    def _batch(self, inputs) -> tuple[list[np.ndarray], str]:
        if len(inputs) != len(self.example_shapes):
            raise ValueError(f"{self.name} takes {len(self.example_shapes)} input(s), got {len(inputs)}")
        arrays, modes = [], set()
        for k, (x, shape) in enumerate(zip(inputs, self.example_shapes)):
            x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
            if x.dtype.kind not in "fiu":
                raise ValueError(f"input {k} has dtype {x.dtype}; give float or integer arrays")
            x = x.astype(np.int64) if x.dtype.kind in "iu" else x.astype(np.float32)
            if x.shape == shape:
                arrays.append(x[None])
                modes.add("single")
            elif shape[0] == 1 and x.shape[1:] == shape[1:]:
                arrays.append(x.reshape((x.shape[0],) + shape))
                modes.add("batch")
            elif x.shape[1:] == shape:
                arrays.append(x)
                modes.add("stacked")
            else:
                raise ValueError(
                    f"input {k} has shape {x.shape}; this design takes {shape}, a batch of samples "
                    f"{('(N,) + ' + str(shape[1:])) if shape[0] == 1 else ''} or a stack (N,) + {shape}"
                )
        if len({a.shape[0] for a in arrays}) != 1:
            raise ValueError(f"inputs have different sample counts: {[a.shape[0] for a in arrays]}")
        if arrays and arrays[0].shape[0] == 0:
            raise ValueError(f"the batch is empty: give at least one sample of shape {self.example_shapes[0]}")
        return arrays, ("batch" if "batch" in modes else "stacked" if "stacked" in modes else "single")

    @staticmethod
    def _unbatch(array: np.ndarray, mode: str, samples: int) -> np.ndarray:
        array = np.broadcast_to(array, (samples,) + array.shape[1:])
        if mode == "single":
            return np.array(array[0])
        if mode == "batch" and array.ndim >= 2 and array.shape[1] == 1:
            return np.array(array[:, 0])
        return np.array(array)

    def simulate(self, *inputs, float_reference: bool = False, engine: str = "auto"):
        """What the hardware outputs for ``inputs`` (a sample, or a batch along a new first axis).

        Fixed-point outputs are returned as exact float64 values; float32 designs as float32.
        With several outputs, a tuple. ``engine``: ``"numpy"`` (the vectorised simulator),
        ``"llvm"`` (the design's LLVM module, JIT-compiled; the same bits) or ``"auto"`` (the JIT
        for large fixed-point batches; ``fpgalab.engines`` says when).
        """
        arrays, mode = self._batch(inputs)
        self._warn_non_finite(arrays)
        kernel = self.float_twin if float_reference else self.kernel
        samples = arrays[0].shape[0]
        tally = Tally()
        if choose_engine(engine, kernel, samples) == "llvm":
            mantissas = jit_kernel(self).run_outputs(arrays)
            values = {n: SimValue(mantissas[n], kernel.buffers()[n].dtype) for n in kernel.outputs}
            probe = min(samples, OVERFLOW_PROBE)
            run_kernel(kernel, [a[:probe] for a in arrays], self._context(tally))
            where = f"{self.name}: values overflowed (counted in the first {probe} of {samples} samples)"
        else:
            values = run_kernel(kernel, arrays, self._context(tally))
            where = f"{self.name}: values overflowed"
        self._overflows = tally.overflows()
        message = overflow_warning(self._overflows, where)
        if message:
            warnings.warn(message, stacklevel=2)
        outs = []
        for name in kernel.outputs:
            value = values[name]
            array = to_float(value) if not value.is_fixed else to_exact(value)
            outs.append(self._unbatch(array, mode, samples))
        return outs[0] if len(outs) == 1 else tuple(outs)

    def compare_hls4ml(self, x, model=None, output_dir=None):
        """hls4ml's C simulation (g++) of the design's Keras model at the design's types against
        ``simulate``, layer by layer (``fpgalab.verify.hls4ml_compare``; needs ``fpgalab[hls4ml]``). The
        report's errors against the float model include the design in the other ``tables`` mode."""
        from fpgalab.verify.hls4ml_compare import compare_hls4ml  # noqa: PLC0415

        other = "fpgalab" if self.options.table_style == "hls4ml" else "hls4ml"
        given = {k: v for k, v in self.options.to_dict().items() if k not in ("tables", "table_style")}
        twin = build_design(self.name, self.float_kernel, parse_options(**given, tables=other), self.example_shapes)
        return compare_hls4ml(self, x, model=model, output_dir=output_dir, twin=twin)

    def overflows(self, *inputs) -> tuple[Overflow, ...]:
        """Where the hardware's types cannot hold the values of ``inputs`` (a sample or a batch), per sample.

        Every wrap, saturation and table clamp of every intermediate (accumulators, sums, table
        inputs, results), with the share of samples it touched and the type that would hold it.
        """
        arrays, _ = self._batch(inputs)
        tally = Tally()
        run_kernel(self.kernel, arrays, self._context(tally))
        self._overflows = tally.overflows()
        return self._overflows

    def _warn_non_finite(self, arrays) -> None:
        """NaN or infinity has no fixed-point value: say what the hardware makes of it."""
        fixed = any(isinstance(i.dtype, FixedType) for i in self.kernel.inputs)
        bad = sum(int(np.count_nonzero(~np.isfinite(a))) for a in arrays)
        if fixed and bad:
            warnings.warn(
                f"{self.name}: {bad} input value(s) are NaN or infinite; an ap_fixed input cannot hold them "
                "(the conversion gives 0 for NaN and wraps or saturates infinities per the input type), so the "
                "outputs for those samples are what that hardware computes, not TensorFlow's",
                stacklevel=3,
            )

    @property
    def float_twin(self) -> ir.Kernel:
        """The same kernel (same node names) with every type float32: the per-layer reference."""
        cached = getattr(self, "_float_twin", None)
        if cached is None:
            cached = AssignPrecision(parse_precision("float32")).run(self.kernel)
            self._float_twin = cached
        return cached

    def accuracy(self, x, y=None) -> AccuracyReport:
        """Hardware outputs against TensorFlow float on the same inputs (per layer against float32 simulation).

        ``x`` is the input batch (a tuple or list of batches for a design with several inputs);
        ``y`` optional labels (class indices or one-hot) for top-1 accuracy.
        """
        inputs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
        arrays, mode = self._batch(inputs)
        tally = Tally()
        hardware = run_kernel(self.kernel, arrays, self._context(tally), keep=True)
        twin = run_kernel(self.float_twin, arrays, self._context(), keep=True)
        if self.reference is not None:
            reference = [np.asarray(r, dtype=np.float64) for r in self.reference(*arrays)]
            source = getattr(self.reference, "source", "tensorflow")  # an ONNX model's: "onnxruntime"
        else:
            reference = [to_exact(twin[name]) for name in self.kernel.outputs]
            source = "float32 simulation"
        self._overflows = tally.overflows()
        return compare_outputs(self.kernel, hardware, twin, reference, source, y, arrays[0].shape[0], self._overflows)

    # ---- backends and ground truth (fpgalab.backends, fpgalab.verify)
    def emit(self, kind: str, path, overwrite: bool = False, **options):
        """Write the design as ``"hls"`` (Vitis HLS project), ``"llvm"`` (.ll) or ``"verilog"`` into folder ``path``."""
        from fpgalab.backends import emit  # noqa: PLC0415

        return emit(self, kind, path, overwrite=overwrite, **options)

    def verify(self, rtl: bool = True, inputs=None, samples: int = 2, progress=None):
        """Check the backends against the simulator: LLVM JIT always, Verilator RTL when ``rtl``.

        Returns ``fpgalab.verify.VerifyReport`` (outputs equal, RTL cycles vs the simulator's)."""
        from fpgalab.verify import verify_design  # noqa: PLC0415
        from fpgalab.verify.tools import default_progress  # noqa: PLC0415

        return verify_design(self, rtl=rtl, inputs=inputs, samples=samples, progress=progress or default_progress)

    def synthesize(self, progress=None):
        """Yosys synthesis of the generated Verilog for the design's part: LUT/FF/DSP/BRAM (cached)."""
        from fpgalab.verify.tools import default_progress  # noqa: PLC0415
        from fpgalab.verify.yosys import run_yosys  # noqa: PLC0415

        return run_yosys(self, progress=progress or default_progress)

    # ---- persistence (fpgalab.persist: the JSON document and its checks)
    def to_json(self) -> str:
        return design_document(self)

    @classmethod
    def from_json(cls, text: str) -> Design:
        """A design from ``to_json``'s text, checked as a compiled one is (``fpgalab.persist``):
        one ``ValueError`` saying what is wrong for anything else."""
        return cls(*read_design_document(text))


def build_design(
    name: str,
    float_kernel: ir.Kernel,
    options: Options,
    example_shapes,
    hlo_text: object = "",
    timings=(),
    reference=None,
) -> Design:
    """Run the pass pipeline on a float32 kernel and wrap the result."""
    graphed, graph_timings = run_pipeline(float_kernel, graph_passes(fold_batchnorm=options.table_style != "hls4ml"))
    options = fit_options(options, graphed)
    steps = [
        AssignPrecision(options.precision, tables=options.tables, table_type=options.table_type),
        *hls_passes(options),
    ]
    kernel, pass_timings = run_pipeline(graphed, steps)
    pass_timings = graph_timings + pass_timings
    verify_kernel(kernel)
    return Design(
        name,
        kernel,
        float_kernel,
        options,
        tuple(tuple(s) for s in example_shapes),
        hlo_text,
        tuple(timings) + tuple(pass_timings),
        reference,
    )
