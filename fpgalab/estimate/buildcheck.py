"""Will it build? What Vivado/Vitis HLS faces in hls4ml's design of this model, against the limits
that stop it.

Computed in well under a second from the compiled design (``io="parallel"`` or ``"stream"``, the
architectures of hls4ml 1.x, HLS4ML_FACTS.md): per layer, the numbers the tool unrolls and
partitions, and the DSPs of the whole design against the part. Each warning names the layer, the
limit, the quantity, a fix and how sure it is. bench/BUILDCHECK.md checks them against published
failures and successful builds (bench/build_cases.json lists each with its link).

The limits and where they come from
-----------------------------------
``partition``  hls4ml writes ``config_array_partition -maximum_size 4096`` into build_prj.tcl
    (``MaximumSize``, hls4ml/writer/vivado_writer.py ``write_build_script``). Vivado HLS refuses a
    complete partition of more elements: ``ERROR: [XFORM 203-103] Array 'mult.V' ...: partitioned
    elements number (N) has exeeded the threshold (T)`` (hls4ml issues #79, #134, #1157; the
    threshold stays at the tool's own 1024 when the option is not applied, as those logs show, and
    Vivado HLS before 2018.1 rejects the option, issue #124). Dense with the Latency strategy
    partitions its ``mult[n_in*n_out]`` array completely (nnet_dense_latency.h, also the kernel of
    every io_stream convolution), whatever the reuse factor: **sure** above the limit. io_parallel
    partitions every layer output completely (``TransformTypes``): **likely** above the limit (the
    same check; no published log names an output array). Vitis HLS has no ``-maximum_size``
    (hls4ml's ``catch`` swallows it), so no partition warning there.
``unroll``  ``ERROR: [XFORM 203-504] Stop unrolling loop ... because it may cause large runtime and
    excessive memory usage due to increase in code size``. hls4ml's maintainers give 4096 unrolled
    multiplications as Vivado HLS's limit (issue #904: "Vivado has an unroll limit of 4096
    hardcoded"; #1013: "with Vivado HLS ... the limit is 4,096"; #1157: n_in*n_out "cannot exceed
    4,096"); hls4ml's CNN tutorial keeps every layer at 4096 weights or fewer, "due to fixed limits in
    the Vivado compiler, beyond which maximally unrolled (=parallel) compilation will fail"
    (fastmachinelearning/hls4ml-tutorial part6_cnns.ipynb; its SVHN CNN builds with 3456 and 4032,
    bench/BUILDCHECK.md). Measured here as the multiplications one pipelined body unrolls:
    n_in*n_out with the Latency strategy, ``block_factor = ceil(n_in*n_out/RF)`` with Resource (its
    ``MultLoop``, issue #903). Not sharp:
    the tool counts instructions, not multiplications, so **likely** above 4096 on Vivado HLS; on
    Vitis HLS, which "should have better parallelism behaviour (but fully unrolling is still
    unlikely)" (#1013), **possible** above 4096 and **likely** above 4 x 4096.
``im2col``  an io_parallel convolution fills its im2col buffer with generated code, one block of
    ``window`` constant assignments per output pixel (``fill_buffer``, hls4ml/backends/vivado/passes/
    im2col_codegen.py), all inside its pipelined ``PartitionLoop``: pixels x window assignments.
    Above 4096 the io_parallel convolutions of issues #59, #322 and #1013 did not build; **likely**
    on Vivado HLS, **possible** on Vitis HLS. hls4ml's documentation: io_parallel is "good for MLP
    networks and small CNNs. Synthesis may fail for larger networks".
``reshape``  ``ARRAY_RESHAPE`` cannot make a word wider than 65536 bits (``ERROR: [XFORM 203-133]
    Bitwidth of reshaped elements ... exceeds the maximum bitwidth (65536 bits)``, issue #506): the
    io_parallel input port (all inputs in one word) and the Resource strategy's weight ROM word
    (block_factor x weight bits): **sure** on Vivado HLS, **likely** on Vitis HLS.
``dsp``  more DSPs than the part has. HLS finishes (a published Vitis HLS 2024.2 run of the jet
    tagger at reuse 1 reports 2228 DSPs on the xc7z020's 220, bench/hls_reports mn-p1-rf1-z7020), and
    Vivado synthesis puts the multiplies beyond the part's DSPs in LUTs: a published PYNQ-Z2 CNN
    whose csynth reports 251 DSPs placed with all 220 (kendermag/hls4ml-tutorial, bench/hls_reports
    km-qcnn-512x16-pynqz2-resource). So stage "implementation", judged by the LUTs: the design's
    estimate plus a fabric multiplier (``costs.soft_multiplier_luts``, halved for a constant
    operand) per DSP too many; **sure** above 1.5 x the part's LUTs, else **possible**: fpgalab's DSP
    and LUT estimates are each within about 0.7-1.5 of the published reports (bench/FIDELITY_HLS.md),
    and that CNN, estimated at 306 DSPs and 113 % of the LUTs this way, placed.

Links to every source, and the cases the limits were checked on: docs/buildcheck.md.

The tool is Vitis HLS unless the design uses Vivado HLS's clock uncertainty (12.5 %, what hls4ml
sets for its Vivado backend; ``clock_uncertainty="12.5%"``) or ``tool=`` says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpgalab import costs
from fpgalab.passes.reuse import closest_reuse_factor, hls4ml_reuse_factors
from fpgalab.schedule.network import network_layers

UNROLL_LIMIT = 4096  # multiplications one pipelined body may unroll (Vivado HLS, hls4ml #904/#1013)
MAXIMUM_SIZE = 4096  # hls4ml's config_array_partition -maximum_size (MaximumSize)
RESHAPE_BITS = 65536  # widest ARRAY_RESHAPE word (XFORM 203-133)
VITIS_SURE_FACTOR = 4  # Vitis HLS: likely only at 4x the Vivado limit
DSP_SURE_FACTOR = 1.5  # LUTs (DSP overflow in fabric) this far over the part: sure (beyond the estimates' spread)
TOOLS = ("vivado", "vitis")
CONFIDENCES = ("sure", "likely", "possible")
VIVADO_UNCERTAINTY = 0.125
WEIGHT_KINDS = ("dense", "conv", "depthwise")


@dataclass(frozen=True)
class BuildWarning:
    """One limit the design would hit."""

    layer: str  # the Keras layer
    limit: str  # partition | unroll | im2col | reshape | dsp
    quantity: int  # what the tool would face
    threshold: int  # the limit it faces
    confidence: str  # sure | likely | possible
    stage: str  # hls (the HLS tool stops) | implementation (HLS finishes, placement cannot)
    what: str  # the quantity in words
    fix: str

    @property
    def blocks(self) -> bool:
        """Whether the build should be taken as failing (sure or likely)."""
        return self.confidence in ("sure", "likely")

    def __str__(self) -> str:
        verdict = "will not build" if self.blocks else "might not build"
        return (
            f"{verdict} ({self.confidence}): layer {self.layer}: {self.what} is {self.quantity:,}, "
            f"above the {self.limit} limit of {self.threshold:,} ({_STAGE[self.stage]}); fix: {self.fix}"
        )


_STAGE = {"hls": "the HLS tool stops", "implementation": "HLS finishes, placement cannot"}


def tool_of(options) -> str:
    """The HLS tool the design's options stand for: Vivado HLS at its 12.5 % clock uncertainty, else Vitis HLS."""
    return "vivado" if math.isclose(options.clock_uncertainty, VIVADO_UNCERTAINTY) else "vitis"


def check_build(design, tool: str | None = None, maximum_size: int = MAXIMUM_SIZE) -> tuple[BuildWarning, ...]:
    """The limits hls4ml's design of ``design`` would hit on ``tool`` ("vivado" or "vitis"; by default
    from its clock uncertainty); ``maximum_size`` is the partition limit in effect (hls4ml's 4096, or
    1024 where the tool ignores it). Designs in fpgalab's own architecture (io="layered") give ()."""
    architecture = design.schedule.architecture
    if architecture not in ("parallel", "stream"):
        return ()
    tool = tool or tool_of(design.options)
    if tool not in TOOLS:
        raise ValueError(f"tool must be one of {', '.join(TOOLS)}, got {tool!r}")
    if isinstance(maximum_size, bool) or not isinstance(maximum_size, int) or maximum_size < 1:
        raise ValueError(f"maximum_size must be a positive number of elements (hls4ml's is 4096), got {maximum_size!r}")
    strategy = design.options.strategy
    found: list[BuildWarning] = []
    layers = network_layers(design.kernel)
    if architecture == "parallel" and layers:
        found += _input_port(design.kernel, layers[0], tool)
    for layer in layers:
        if layer.kind in WEIGHT_KINDS:
            found += _weight_layer(layer, strategy, architecture, tool, maximum_size)
        if (
            architecture == "parallel"
            and layer.kind != "reshape"
            and tool == "vivado"
            and layer.elements > maximum_size
        ):
            found.append(
                BuildWarning(
                    layer.layer or layer.name,
                    "partition",
                    layer.elements,
                    maximum_size,
                    "likely",
                    "hls",
                    "its output array, partitioned completely by io_parallel,",
                    "io='stream' (hls4ml's io_stream passes pixels through FIFOs instead)",
                )
            )
    found += _dsps(design, layers)
    return tuple(found)


def _input_port(kernel, first, tool: str) -> list[BuildWarning]:
    bits = sum(math.prod(v.shape) for v in kernel.inputs) * first.in_bits
    if bits <= RESHAPE_BITS:
        return []
    return [
        BuildWarning(
            "input",
            "reshape",
            bits,
            RESHAPE_BITS,
            "sure" if tool == "vivado" else "likely",
            "hls",
            "the io_parallel input port (all inputs reshaped into one word), in bits,",
            "io='stream', or fewer input bits",
        )
    ]


def _weight_layer(layer, strategy: str, architecture: str, tool: str, maximum_size: int) -> list[BuildWarning]:
    name = layer.layer or layer.name
    products = layer.n_in * layer.n_out
    found = []
    if strategy == "latency":
        fix = _resource_fix(layer)
        if tool == "vivado" and products > maximum_size:
            what = "its mult array (n_in x n_out products, partitioned completely by the Latency strategy)"
            found.append(BuildWarning(name, "partition", products, maximum_size, "sure", "hls", what, fix))
        else:
            found += _unroll(name, products, tool, "the products it unrolls (n_in x n_out)", fix)
    else:
        block = math.ceil(products / layer.reuse_valid)
        fix = f"reuse={_smallest_reuse(layer)} or larger on this layer"
        what = f"the multiplications its MultLoop unrolls (block factor ceil({products}/RF {layer.reuse_valid}))"
        found += _unroll(name, block, tool, what, fix)
        bits = block * layer.weight_bits
        if bits > RESHAPE_BITS:
            what = "its weight ROM word (block factor x weight bits)"
            confidence = "sure" if tool == "vivado" else "likely"
            found.append(BuildWarning(name, "reshape", bits, RESHAPE_BITS, confidence, "hls", what, fix))
    if architecture == "parallel" and layer.pixels > 1:
        window = layer.n_in * (layer.n_out if layer.kind == "depthwise" else 1)
        filled = layer.pixels * window
        if filled > UNROLL_LIMIT:
            what = f"its im2col buffer fill ({layer.pixels} pixels x {window} values, generated code in one pipeline)"
            confidence = "likely" if tool == "vivado" else "possible"
            fix = "io='stream' (line buffers instead of a generated im2col)"
            found.append(BuildWarning(name, "im2col", filled, UNROLL_LIMIT, confidence, "hls", what, fix))
    return found


def _unroll(name: str, count: int, tool: str, what: str, fix: str) -> list[BuildWarning]:
    if count <= UNROLL_LIMIT:
        return []
    if tool == "vivado":
        confidence = "likely"
    else:
        confidence = "likely" if count > VITIS_SURE_FACTOR * UNROLL_LIMIT else "possible"
    return [BuildWarning(name, "unroll", count, UNROLL_LIMIT, confidence, "hls", what, fix)]


def _smallest_reuse(layer) -> int:
    """The smallest reuse factor hls4ml accepts for the Resource strategy on ``layer`` whose
    MultLoop unrolls at most UNROLL_LIMIT multiplications into a ROM word of at most RESHAPE_BITS."""
    products = layer.n_in * layer.n_out
    for reuse in hls4ml_reuse_factors(layer.n_in, layer.n_out):
        block = math.ceil(products / reuse)
        if block <= UNROLL_LIMIT and block * layer.weight_bits <= RESHAPE_BITS:
            return reuse
    return closest_reuse_factor(products, hls4ml_reuse_factors(layer.n_in, layer.n_out))


def _resource_fix(layer) -> str:
    return f"strategy='resource' with reuse={_smallest_reuse(layer)} or larger on this layer"


def _dsps(design, layers) -> list[BuildWarning]:
    """More DSPs than the part: Vivado synthesis maps the multiplies beyond the part's DSPs to LUTs
    (``synth_design -max_dsp`` defaults to the part's count), so the design fails only if those LUT
    multipliers do not fit either."""
    resources = design.resources
    device = design.device
    used = sum(layer.total.dsp for layer in resources.per_layer)
    if not resources.per_layer or used <= device.dsps:
        return []
    worst = max(resources.per_layer, key=lambda layer: layer.total.dsp)
    net = next((n for n in layers if n.name == worst.name or (worst.layer and n.layer == worst.layer)), None)
    widths = (net.in_bits, net.weight_bits) if net else (18, 18)
    per_multiply = costs.soft_multiplier_luts(*widths, True, device)
    if design.options.strategy == "latency":  # a constant operand: half the array (as estimate.io_parallel prices it)
        per_multiply /= 2
    luts = resources.total.lut + (used - device.dsps) * per_multiply
    share = luts / device.luts if device.luts else math.inf
    confidence = "sure" if share > DSP_SURE_FACTOR else "possible"
    return [
        BuildWarning(
            worst.layer or worst.name,
            "dsp",
            round(used),
            device.dsps,
            confidence,
            "implementation",
            f"the design's DSP count on {device.name} ({round(worst.total.dsp):,} in this layer; the rest "
            f"in LUTs brings the LUTs to {share:.0%} of the part)",
            "a larger reuse factor (hls4ml shares ceil(n_in x n_out / RF) multipliers per layer), or narrower weights",
        )
    ]
