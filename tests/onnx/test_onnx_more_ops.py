"""More ONNX ops and attribute forms (issue 13's op coverage for hls4ml/FINN exports): activations,
variadic elementwise ops, Expand/Tile/DepthToSpace/gathers, Cast, each against onnxruntime
(float32, relative error <= 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402
from test_onnx_ops import check, model, relative_error, run, unary_model, weights  # noqa: E402

import fpgalab  # noqa: E402

RNG = np.random.default_rng(11)


def check_with(onnx_model, *xs):
    """``check`` on given inputs (the activations' interesting points, integers for Cast)."""
    design = fpgalab.compile(onnx_model, precision="float32")
    assert relative_error(design.simulate(*xs), run(onnx_model, *xs)) <= 1e-5
    return design


@pytest.mark.parametrize(
    "op,attrs,opset",
    [
        ("HardSwish", {}, 14),
        ("Gelu", {}, 20),
        ("Gelu", {"approximate": "tanh"}, 20),
        ("Mish", {}, 18),
        ("Celu", {"alpha": 0.7}, 13),
        ("ThresholdedRelu", {"alpha": 0.3}, 13),
        ("Shrink", {"bias": 0.2, "lambd": 0.4}, 13),
        ("Sign", {}, 13),
        ("Round", {}, 13),
    ],
)
def test_more_activations(op, attrs, opset):
    x = (RNG.normal(size=(1, 3, 8)) * 3).astype(np.float32)
    x[0, 0, :4] = [0.0, 0.3, -0.4, 2.5]  # thresholds and a half for Round
    check_with(unary_model(op, [1, 3, 8], opset=opset, **attrs), x)


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("count", [2, 3, 4])
def test_variadic_elementwise(op, count):
    names = [f"x{k}" for k in range(count)]
    shapes = [(1, 3, 4), (3, 1), (4,), (1, 1, 4)][:count]
    node = helper.make_node(op, names, ["y"], name="layer")
    check(model([node], dict(zip(names, map(list, shapes))), None), *shapes)


def test_max_with_a_constant():
    node = helper.make_node("Max", ["x", "c", "d"], ["y"], name="layer")
    check(model([node], {"x": [1, 6]}, None, {"c": np.float32(0.1), "d": weights(6)}), (1, 6))


@pytest.mark.parametrize("shape,target", [((1, 3, 1), (2, 1, 4)), ((3,), (2, 3)), ((1, 4), (1, 1))])
def test_expand(shape, target):
    nodes = [
        helper.make_node("Expand", ["x", "shape"], ["e"], name="expand"),
        helper.make_node("Relu", ["e"], ["y"], name="relu"),
    ]
    check(model(nodes, {"x": list(shape)}, None, {"shape": np.array(target, np.int64)}), shape)


@pytest.mark.parametrize("repeats", [(1, 2, 3), (2, 1, 1), (1, 1, 1)])
def test_tile(repeats):
    nodes = [
        helper.make_node("Tile", ["x", "r"], ["t"], name="tile"),
        helper.make_node("Neg", ["t"], ["y"], name="neg"),
    ]
    check(model(nodes, {"x": [1, 2, 3]}, None, {"r": np.array(repeats, np.int64)}), (1, 2, 3))


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_back(mode):
    nodes = [
        helper.make_node("DepthToSpace", ["x"], ["d"], blocksize=2, mode=mode, name="d2s"),
        helper.make_node("Abs", ["d"], ["a"], name="abs"),
        helper.make_node("SpaceToDepth", ["a"], ["y"], blocksize=2, name="s2d"),
    ]
    check(model(nodes, {"x": [1, 8, 2, 3]}, None), (1, 8, 2, 3))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements_constant_indices(axis):
    indices = RNG.integers(-3, 3, size=(2, 3, 2)).astype(np.int64)
    node = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=axis, name="ge")
    check(model([node], {"x": [3, 3, 3]}, None, {"i": indices}), (3, 3, 3))


@pytest.mark.parametrize("indices", [[[0, 1], [2, 0]], [[1], [0]], [[[0, 2, 1]], [[2, 1, 0]]]])
def test_gather_nd_constant_indices(indices):
    node = helper.make_node("GatherND", ["x", "i"], ["y"], name="gnd")
    check(model([node], {"x": [3, 3, 4]}, None, {"i": np.array(indices, np.int64)}), (3, 3, 4))


@pytest.mark.parametrize("to", [TensorProto.INT32, TensorProto.INT64, TensorProto.INT8])
def test_cast_run_time_tensor(to):
    """Float to integer truncates toward zero, as onnxruntime converts; cast back to float for the output."""
    nodes = [
        helper.make_node("Mul", ["x", "k"], ["m"], name="scale"),
        helper.make_node("Cast", ["m"], ["c"], to=to, name="cast"),
        helper.make_node("Cast", ["c"], ["y"], to=TensorProto.FLOAT, name="back"),
    ]
    x = np.array([[-2.7, -1.5, -0.2, 0.0, 0.4, 1.5, 2.5, 3.9]], np.float32)
    check_with(model(nodes, {"x": [1, 8]}, None, {"k": np.float32(1.0)}), x)


def test_cast_to_bool_feeds_where():
    nodes = [
        helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BOOL, name="cast"),
        helper.make_node("Where", ["b", "x", "k"], ["y"], name="where"),
    ]
    x = np.array([[0.0, 1.5, -0.2, 0.0, 3.0]], np.float32)
    check_with(model(nodes, {"x": [1, 5]}, None, {"k": np.float32(7.0)}), x)


@pytest.mark.parametrize(
    "a,b",
    [
        ((2, 3, 4), (4, 5)),
        ((2, 3, 4), (1, 4, 5)),
        ((2, 1, 3, 4), (1, 2, 4, 5)),
        ((3, 4), (2, 4, 5)),
        ((4,), (2, 4, 3)),
        ((2, 3, 4), (4,)),
        ((4,), (4,)),
    ],
)
def test_matmul_broadcast_batch(a, b):
    node = helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")
    check(model([node], {"a": list(a), "b": list(b)}, None), a, b)


def test_matmul_broadcast_constant_weights():
    node = helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")
    check(model([node], {"a": [1, 3, 4]}, None, {"w": weights(2, 4, 5)}), (1, 3, 4))


REDUCTIONS = ["ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceProd", "ReduceMax", "ReduceMean"]


@pytest.mark.parametrize("op", REDUCTIONS)
@pytest.mark.parametrize("axes,keepdims", [([1], 1), ([-1, 1], 0), (None, 1)])
@pytest.mark.parametrize("opset", [13, 18])
def test_more_reductions(op, axes, keepdims, opset):
    attrs, init, inputs = {"keepdims": keepdims}, {}, ["x"]
    if axes is not None and opset >= 18:
        init["axes"], inputs = np.array(axes, np.int64), ["x", "axes"]
    elif axes is not None:
        attrs["axes"] = axes
    node = helper.make_node(op, inputs, ["y"], name="reduce", **attrs)
    x = RNG.uniform(-0.5, 2.0, size=(1, 3, 4)).astype(np.float32)
    x[0, :, 0] = 3.0  # every sum and mean well away from zero (the relative error of a rounding is measured)
    check_with(model([node], {"x": [1, 3, 4]}, None, init, opset=opset), x)


def test_reduce_log_sum_of_positive_values():
    nodes = [
        helper.make_node("Exp", ["x"], ["e"], name="exp"),
        helper.make_node("ReduceLogSum", ["e"], ["y"], axes=[2], name="reduce"),
    ]
    check(model(nodes, {"x": [1, 3, 4]}, None), (1, 3, 4))


@pytest.mark.parametrize("axis", [-1, 1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_normalization(axis, bias):
    shape = (2, 3, 4)
    inputs = ["x", "s", "b"] if bias else ["x", "s"]
    node = helper.make_node("LayerNormalization", inputs, ["y"], axis=axis, epsilon=1e-3, name="ln")
    init = {"s": weights(*shape[axis:]) + 1.0, "b": weights(*shape[axis:])}
    check(model([node], {"x": list(shape)}, None, {k: v for k, v in init.items() if k in inputs}, opset=17), shape)


def test_instance_normalization():
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-4, name="in")
    check(model([node], {"x": [1, 3, 4, 5]}, None, {"s": weights(3) + 1, "b": weights(3)}), (1, 3, 4, 5))


def test_group_normalization_opset21():
    node = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2, name="gn")
    init = {"s": weights(4) + 1, "b": weights(4)}
    check(model([node], {"x": [1, 4, 3, 3]}, [1, 4, 3, 3], init, opset=21), (1, 4, 3, 3))


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims,last", [(1, 1, 0), (-1, 0, 0), (0, 1, 1), (2, 0, 1)])
def test_arg_reduce(op, axis, keepdims, last):
    x = RNG.integers(-2, 3, size=(2, 3, 4)).astype(np.float32)  # ties: first or last index
    node = helper.make_node(op, ["x"], ["i"], axis=axis, keepdims=keepdims, select_last_index=last, name="arg")
    cast = helper.make_node("Cast", ["i"], ["y"], to=TensorProto.FLOAT, name="cast")
    check_with(model([node, cast], {"x": [2, 3, 4]}, None), x)


@pytest.mark.parametrize("axis,k,largest", [(-1, 2, 1), (1, 3, 0), (0, 1, 1)])
def test_top_k(axis, k, largest):
    x = RNG.integers(-3, 4, size=(2, 3, 5)).astype(np.float32)
    nodes = [
        helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis, largest=largest, name="topk"),
        helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT, name="cast"),
        helper.make_node("Concat", ["v", "fi"], ["y"], axis=axis, name="both"),
    ]
    check_with(model(nodes, {"x": [2, 3, 5]}, None, {"k": np.array([k], np.int64)}), x)


@pytest.mark.parametrize("axis,table_shape", [(0, (6, 4)), (1, (6, 4)), (0, (6,)), (1, (2, 5, 3))])
def test_gather_run_time_indices_from_a_constant_table(axis, table_shape):
    """An embedding: float ids cast to int64 pick rows (axis 0) or columns (axis 1) of a table; negative
    ids count from the end."""
    table = weights(*table_shape)
    nodes = [
        helper.make_node("Cast", ["ids"], ["i"], to=TensorProto.INT64, name="cast"),
        helper.make_node("Gather", ["table", "i"], ["y"], axis=axis, name="embed"),
    ]
    size = table.shape[axis]
    ids = np.array([[0, 3, -1], [size - 1, 2, -size]], np.float32)
    check_with(model(nodes, {"ids": [2, 3]}, None, {"table": table}), ids)


SLICES = [
    ([3], [0], [1], [-1]),  # reversed from index 3 down to (not including) 0
    ([-1], [-100], [1], [-1]),  # the whole axis reversed
    ([4, 0], [0, 5], [1, 2], [-2, 2]),
    ([1], [10], [2], [3]),
    ([2, -1], [-100, -100], [1, 2], [-1, -2]),
]


@pytest.mark.parametrize("starts,ends,axes,steps", SLICES)
def test_slice_steps(starts, ends, axes, steps):
    init = {k: np.array(v, np.int64) for k, v in zip(("s", "e", "a", "t"), (starts, ends, axes, steps))}
    node = helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"], name="slice")
    check(model([node], {"x": [1, 5, 6]}, None, init), (1, 5, 6))


@pytest.mark.parametrize("mode", ["reflect", "edge", "wrap", "constant"])
@pytest.mark.parametrize("pads", [[0, 1, 2, 0, 2, 1], [0, 0, -1, 0, 2, 2]])
def test_pad_modes(mode, pads):
    node = helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode=mode)
    check(model([node], {"x": [1, 4, 5]}, None, {"p": np.array(pads, np.int64)}, opset=19), (1, 4, 5))


@pytest.mark.parametrize("mode", ["reflect", "edge"])
def test_pad_modes_opset_10_attribute(mode):
    node = helper.make_node("Pad", ["x"], ["y"], name="pad", mode=mode, pads=[0, 0, 1, 2, 0, 0, 2, 1])
    check(model([node], {"x": [1, 2, 4, 4]}, None, opset=10), (1, 2, 4, 4))


def test_pad_opset18_axes():
    node = helper.make_node("Pad", ["x", "p", "", "ax"], ["y"], name="pad", mode="edge")
    init = {"p": np.array([1, 2, 2, 0], np.int64), "ax": np.array([-1, 1], np.int64)}
    check(model([node], {"x": [1, 3, 4]}, None, init, opset=18), (1, 3, 4))


def split_model(opset, outputs, sizes=None, num_outputs=None, axis=1):
    names = [f"o{k}" for k in range(outputs)]
    inputs, attrs, init = ["x"], {"axis": axis}, {}
    if sizes is not None and opset < 13:
        attrs["split"] = sizes
    elif sizes is not None:
        inputs.append("sp")
        init["sp"] = np.array(sizes, np.int64)
    if num_outputs is not None:
        attrs["num_outputs"] = num_outputs
    nodes = [helper.make_node("Split", inputs, names, name="split", **attrs)]
    nodes.append(helper.make_node("Concat", names[::-1], ["y"], axis=axis, name="join"))  # reversed order
    return model(nodes, {"x": [1, 7, 3]}, None, init, opset=opset)


@pytest.mark.parametrize(
    "opset,outputs,sizes,num_outputs",
    [(11, 2, [3, 4], None), (11, 7, None, None), (13, 3, [2, 2, 3], None), (13, 7, None, None), (18, 3, None, 3),
     (18, 2, [5, 2], None), (18, 4, None, 4)],
)  # fmt: skip
def test_split_every_form(opset, outputs, sizes, num_outputs):
    check(split_model(opset, outputs, sizes, num_outputs), (1, 7, 3))


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logical_ops(op):
    nodes = [
        helper.make_node("Greater", ["x", "zero"], ["a"], name="positive"),
        helper.make_node("Less", ["x", "one"], ["b"], name="small"),
        helper.make_node(op, ["a", "b"], ["c"], name="logic"),
        helper.make_node("Not", ["c"], ["d"], name="not"),
        helper.make_node("Where", ["d", "x", "k"], ["y"], name="where"),
    ]
    init = {"zero": np.float32(0), "one": np.array([1.0, 0.5, -0.5], np.float32), "k": np.float32(9)}
    check(model(nodes, {"x": [2, 3]}, None, init), (2, 3))


EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bi,bi->b", [(2, 5), (2, 5)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("abc,cd->abd", [(1, 2, 3), (3, 4)]),
    ("ibj,jbk->bik", [(3, 2, 4), (4, 2, 5)]),
    ("bij,bkj->bki", [(2, 3, 4), (2, 5, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUMS)
def test_einsum(equation, shapes):
    names = [f"x{k}" for k in range(len(shapes))]
    node = helper.make_node("Einsum", names, ["y"], name="einsum", equation=equation)
    check(model([node], dict(zip(names, map(list, shapes))), None, opset=12), *shapes)


def test_einsum_diagonal_is_refused():
    node = helper.make_node("Einsum", ["x"], ["y"], name="einsum", equation="ii->i")
    with pytest.raises(fpgalab.CompileError, match=r"Einsum node 'einsum': 'ii' repeats a label"):
        fpgalab.compile(model([node], {"x": [3, 3]}, None, opset=12))


def test_constant_of_shape_range_size_fold():
    """A position ramp an exporter builds from the input's shape: Shape, ConstantOfShape, Range, Size."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node(
            "ConstantOfShape",
            ["s"],
            ["ones"],
            name="ones",
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]),
        ),
        helper.make_node("Size", ["x"], ["n"], name="size"),
        helper.make_node("Cast", ["n"], ["nf"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Range", ["zero", "nf", "step"], ["ramp"], name="range"),
        helper.make_node("Reshape", ["ramp", "s"], ["r"], name="reshape"),
        helper.make_node("Mul", ["x", "r"], ["m"], name="mul"),
        helper.make_node("Add", ["m", "ones"], ["y"], name="add"),
    ]
    init = {"zero": np.array(0.0, np.float32), "step": np.array(1.0, np.float32)}
    check(model(nodes, {"x": [1, 2, 3]}, [1, 2, 3], init), (1, 2, 3))


@pytest.mark.parametrize("fmod", [0, 1])
def test_mod(fmod):
    node = helper.make_node("Mod", ["x", "d"], ["y"], name="mod", fmod=fmod)
    x = np.array([[-3.5, -1.25, 0.5, 2.75, 5.0, 7.5]], np.float32)
    if fmod == 0:  # onnxruntime takes only integers then: compare with numpy's floor-mod on the float design
        design = fpgalab.compile(
            model([node], {"x": [1, 6]}, None, {"d": np.float32(2.0)}, opset=13), precision="float32"
        )
        assert np.allclose(design.simulate(x), np.mod(x, 2.0), rtol=0, atol=1e-6)
        return
    check_with(model([node], {"x": [1, 6]}, None, {"d": np.float32(2.0)}), x)


@pytest.mark.parametrize("upper,k", [(1, 0), (0, 0), (1, 1), (0, -1)])
def test_trilu(upper, k):
    node = helper.make_node("Trilu", ["x", "k"], ["y"], name="trilu", upper=upper)
    check(model([node], {"x": [2, 3, 4]}, None, {"k": np.array(k, np.int64)}, opset=14), (2, 3, 4))


@pytest.mark.parametrize("axis", [1, -1])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_cum_sum(axis, exclusive, reverse):
    node = helper.make_node("CumSum", ["x", "a"], ["y"], name="cumsum", exclusive=exclusive, reverse=reverse)
    check(model([node], {"x": [2, 3, 4]}, None, {"a": np.array(axis, np.int64)}), (2, 3, 4))


def test_hardmax():
    check(unary_model("Hardmax", [2, 3, 5], axis=1), (2, 3, 5))


def test_one_hot_of_run_time_indices():
    nodes = [
        helper.make_node("Cast", ["x"], ["i"], name="cast", to=TensorProto.INT64),
        helper.make_node("OneHot", ["i", "depth", "values"], ["y"], name="onehot", axis=1),
    ]
    init = {"depth": np.array(5, np.int64), "values": np.array([-1.0, 2.0], np.float32)}
    check_with(model(nodes, {"x": [2, 3]}, None, init), np.array([[0, 4, -1], [2, 3, -5]], np.float32))


def test_mean_variance_normalization_and_global_lp_pool():
    nodes = [
        helper.make_node("MeanVarianceNormalization", ["x"], ["n"], name="mvn"),
        helper.make_node("GlobalLpPool", ["n"], ["y"], name="glp", p=2),
    ]
    check(model(nodes, {"x": [2, 3, 4, 4]}, [2, 3, 1, 1]), (2, 3, 4, 4))


@pytest.mark.parametrize("size,beta", [(3, 0.75), (1, 1.0), (5, 0.5)])  # onnxruntime takes odd sizes
def test_local_response_normalization(size, beta):
    node = helper.make_node("LRN", ["x"], ["y"], name="lrn", size=size, alpha=0.01, beta=beta, bias=1.5)
    check(model([node], {"x": [1, 6, 3, 3]}, None), (1, 6, 3, 3))
