"""hls4ml's configuration in and out (issue 18 items 1-2): hls4ml's own ``config_from_keras_model`` output,
compiled by fpgalab, comes back unchanged from ``design.hls4ml_config()``; what fpgalab uses for each
layer follows hls4ml's lookup; bad configurations are one clear error each."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import fpgalab

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT / ".cache" / "bench-hls4ml"  # where bench/run_hls4ml_sim.py installs hls4ml (--no-deps)
TARGET = {"io_type": "io_parallel", "part": "xcu250-figd2104-2L-e", "clock_period": 5}


@pytest.fixture(scope="module")
def hls4ml():
    try:
        import hls4ml  # noqa: PLC0415
    except ImportError:
        if not (PEER / "hls4ml").exists():
            pytest.skip("hls4ml is not installed (pip install 'fpgalab[hls4ml]', or run bench/run_hls4ml_sim.py once)")
        sys.path.insert(0, str(PEER))
        import hls4ml  # noqa: PLC0415
    return hls4ml


def _mlp():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(1)
    inp = keras.Input((16,), name="inp")
    x = keras.layers.Dense(32, activation="relu", name="fc1")(inp)
    x = keras.layers.Dense(8, name="fc2")(x)
    x = keras.layers.Activation("tanh", name="act2")(x)
    x = keras.layers.Dense(5, activation="softmax", name="out")(x)
    return keras.Model(inp, x), np.zeros((1, 16), np.float32)


def _cnn():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(2)
    inp = keras.Input((8, 8, 2), name="img")
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(10, activation="sigmoid", name="fc")(x)
    x = keras.layers.Dense(3, name="logits")(x)
    x = keras.layers.Softmax(name="prob")(x)
    return keras.Model(inp, x), np.zeros((1, 8, 8, 2), np.float32)


def _bn_mlp():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(3)
    inp = keras.Input((10,), name="x")
    h = keras.layers.Dense(12, name="d1")(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Activation("relu", name="r")(h)
    h = keras.layers.Dropout(0.2, name="drop")(h)
    return keras.Model(inp, keras.layers.Dense(3, name="d2")(h)), np.zeros((1, 10), np.float32)


def _conv1d():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(4)
    inp = keras.Input((16, 3), name="seq")
    h = keras.layers.Conv1D(4, 3, activation="tanh", name="c1")(inp)
    h = keras.layers.AveragePooling1D(2, name="ap")(h)
    h = keras.layers.Flatten(name="fl")(h)
    return keras.Model(inp, keras.layers.Dense(2, name="o")(h)), np.zeros((1, 16, 3), np.float32)


MODELS = {"mlp": _mlp, "cnn": _cnn, "bn_mlp": _bn_mlp, "conv1d": _conv1d}


@pytest.fixture(scope="module")
def models():
    return {name: make() for name, make in MODELS.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("granularity", ["model", "type", "name"])
def test_hls4ml_configuration_comes_back_unchanged(hls4ml, models, name, granularity):
    model, x = models[name]
    config = hls4ml.utils.config_from_keras_model(model, granularity=granularity, backend="Vitis")
    given = copy.deepcopy(config)
    design = fpgalab.compile(model, x, hls_config=config, backend="Vitis", **TARGET)
    assert config == given  # the user's dict is not touched
    args = design.hls4ml_config()
    assert args["hls_config"] == given
    assert {k: v for k, v in args.items() if k != "hls_config"} == {**TARGET, "backend": "Vitis"}
    json.dumps(args)  # the export writes it as it is
    options = design.options
    assert (options.io, options.device, options.clock_mhz, options.strategy) == ("parallel", "xcu250", 200.0, "latency")
    assert options.clock_uncertainty == 0.27  # Vitis's, as hls4ml sets it
    assert options.reuse == 1


@pytest.mark.slow
def test_per_layer_settings_reach_the_layers_and_come_back(hls4ml, models):
    model, x = models["cnn"]
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    config["LayerName"]["conv"]["ReuseFactor"] = 2
    config["LayerName"]["fc"]["Precision"]["weight"] = "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
    config["LayerName"]["fc"]["Precision"]["result"] = "fixed<12,4>"
    config["LayerName"]["fc_sigmoid"]["TableSize"] = 512
    config["LayerName"]["fc_sigmoid"]["Precision"]["table"] = "ufixed<10,0,RND,SAT,0>"
    design = fpgalab.compile(model, x, hls_config=copy.deepcopy(config), **TARGET)
    assert design.options.reuse == {"default": 1, "conv": 2}
    assert design.options.tables["sigmoid"].size == 512
    assert design.options.clock_uncertainty == 0.125  # hls4ml's default backend is Vivado
    nodes = {n.name: n for n in design.kernel.nodes}
    fc = [n for n in design.kernel.nodes if n.layer == "fc"]
    dot = next(n for n in fc if type(n).__name__ == "Dot")
    weights = {c.name: c for c in design.kernel.constants}[dot.inputs[1]]
    assert str(weights.dtype) == "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
    assert str(dot.dtype) == "ap_fixed<12,4>"
    sigmoid = nodes[[n for n in fc if n is not dot][0].name]
    assert str(sigmoid.dtype) == "ap_fixed<16,6>"  # the activation's 'auto' result: the model default
    conv = next(n for n in design.kernel.nodes if n.layer == "conv" and type(n).__name__ == "Conv")
    assert conv.directives.reuse == 2
    args = design.hls4ml_config()
    assert args["hls_config"] == config
    assert args["backend"] == "Vivado" and "clock_uncertainty" not in args  # Vivado's 12.5 %, hls4ml's default


def _hand_config(**model):
    return {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency", **model}}


def test_model_granularity_by_hand(models):
    model, x = models["mlp"]
    config = {
        "Model": {"Precision": {"default": "fixed<12,4>"}, "ReuseFactor": 4, "Strategy": "Resource"},
        "LayerName": {"fc1": {"ReuseFactor": 8}, "act2": {"Precision": {"result": "ufixed<8,0>"}}},
    }
    with pytest.warns(UserWarning, match="'out_softmax': fpgalab schedules an io_stream softmax at reuse 1"):
        design = fpgalab.compile(model, x, hls_config=config, io_type="io_stream", part="xcvu9p-flga2104-2L-e")
    options = design.options
    assert (options.io, options.device, options.strategy) == ("stream", "xcvu9p", "resource")
    assert options.reuse == {"default": 4, "fc1": 8}
    act2 = next(n for n in design.kernel.nodes if n.layer == "act2")
    assert str(act2.dtype) == "ap_ufixed<8,0>"
    args = design.hls4ml_config()
    assert args["hls_config"]["Model"]["Precision"] == {"default": "fixed<12,4>"}
    assert args["hls_config"]["LayerName"]["fc1"] == {"ReuseFactor": 8}
    assert args["hls_config"]["LayerName"]["act2"]["Precision"]["result"] == "ufixed<8,0>"
    assert args["part"] == "xcvu9p-flga2104-2L-e" and args["io_type"] == "io_stream"
    assert args["clock_period"] == 5 and args["backend"] == "Vivado"


@pytest.mark.parametrize(
    "config, extra, message",
    [
        (_hand_config(Precision="fixd<16,6>"), {}, r"unknown precision 'fixd<16,6>'"),
        (
            {**_hand_config(), "LayerName": {"fc1": {"ReuseFactor": 0}}},
            {},
            r"\['fc1'\]\['ReuseFactor'\] must be a positive",
        ),
        ({**_hand_config(), "LayerName": {"fc9": {"ReuseFactor": 2}}}, {}, r"no layer name 'fc9'.*fc1, fc1_relu"),
        ({**_hand_config(), "LayerType": {"Conv2D": {"ReuseFactor": 2}}}, {}, r"no layer class 'Conv2D'"),
        (_hand_config(), {"part": "xcvu13p-flga2577-2-e"}, r"unknown part 'xcvu13p-flga2577-2-e'.*xcu250"),
        (_hand_config(PipelineInterval=2), {}, r"'PipelineInterval' is not modelled"),
        (_hand_config(Strategy="resource_unrolled"), {}, r"'Latency' or 'Resource'"),
        (_hand_config(Precision={"default": "fixed<16,6>", "maximum": "fixed<24,8>"}), {}, r"'maximum'"),
        ({**_hand_config(), "LayerName": {"fc1": {"Strategy": "Resource"}}}, {}, r"one Strategy for the whole design"),
        ({**_hand_config(), "LayerName": {"out_softmax": {"Implementation": "legacy"}}}, {}, r"'Implementation'"),
        ({**_hand_config(), "LayerName": {"act2": {"Precision": {"exp_table": "fixed<8,2>"}}}}, {}, r"'exp_table'"),
        ({**_hand_config(), "LayerName": {"act2": {"Precision": {"table": "auto"}}}}, {}, r"cannot be 'auto'"),
        ({"Model": {"Precision": "fixed<16,6>"}}, {}, r"needs 'ReuseFactor'"),
        (_hand_config(), {"io_type": "io_serial"}, r"io_type must be"),
        (_hand_config(), {"precision": "ap_fixed<8,3>"}, r"not both"),
        (_hand_config(), {"clock_period": 0}, r"clock_period must be"),
    ],
)
def test_bad_configurations_are_one_clear_error(models, config, extra, message):
    model, x = models["mlp"]
    with pytest.raises(ValueError, match=message):
        fpgalab.compile(model, x, hls_config=config, **{"io_type": "io_parallel", **extra})


def test_trace_is_a_warning(models):
    model, x = models["mlp"]
    config = {**_hand_config(), "LayerName": {"fc1": {"Trace": True}}}
    with pytest.warns(UserWarning, match=r"\['fc1'\]\['Trace'\]: fpgalab does not trace"):
        design = fpgalab.compile(model, x, hls_config=config)
    assert design.hls4ml_config()["hls_config"]["LayerName"]["fc1"]["Trace"] is True


def test_a_design_without_hls4ml_configuration_gives_one(models):
    model, x = models["mlp"]
    design = fpgalab.compile(
        model, x, io="parallel", precision={"default": "ap_fixed<12,4>", "fc2": "ap_fixed<8,2>"}, reuse={"fc1": 4}
    )
    args = design.hls4ml_config()
    layers = args["hls_config"]["LayerName"]
    assert args["hls_config"]["Model"]["Precision"] == {"default": "fixed<12,4>"}
    assert layers["fc1"]["ReuseFactor"] == 4
    assert layers["fc2"]["Precision"]["weight"] == "fixed<8,2>"
    assert args["part"] == "xcvu9p-flgb2104-2-i" and args["clock_period"] == 5.0 and args["backend"] == "Vitis"
    # read back, it is the same design
    again = fpgalab.compile(model, x, **args)
    assert again.hls4ml_config() == args
    for a, b in zip(design.kernel.nodes, again.kernel.nodes):
        assert (a.name, a.dtype) == (b.name, b.dtype)


def test_explore_s_points_give_their_configuration(models):
    model, x = models["mlp"]
    space = {"reuse": [1, 4], "precision": ["ap_fixed<16,6>", "ap_fixed<10,4>"]}
    result = fpgalab.explore(model, x, space=space, objective="dsp", io="parallel")
    seen = set()
    for point in range(4):
        design = result.design(point)
        args = design.hls4ml_config()
        model_section = args["hls_config"]["Model"]
        spelled = {"ap_fixed<16,6>": "fixed<16,6>", "ap_fixed<10,4>": "fixed<10,4>"}[design.options.precision_spec]
        assert (model_section["ReuseFactor"], model_section["Precision"]["default"]) == (design.options.reuse, spelled)
        seen.add((design.options.reuse, spelled))
        again = fpgalab.compile(model, x, **args)
        assert again.resources.total.dsp == design.resources.total.dsp
        assert again.timing.latency == design.timing.latency
    assert len(seen) == 4
    best = result.design(result.best).hls4ml_config()
    assert best["hls_config"]["Model"]["ReuseFactor"] == result.best["reuse"]


def test_sparsified_design_hands_back_its_pruned_model(models):
    model, x = models["mlp"]
    result = fpgalab.sparsify(model, x, method="global", target=0.5, io="parallel")
    args = result.hls4ml_config()
    pruned = args.pop("model")
    assert pruned is result.model
    kernel = pruned.get_layer("fc1").get_weights()[0]
    assert np.mean(kernel == 0) > 0.3
    assert args["hls_config"]["Model"]["ReuseFactor"] == 1
    assert "fc1" in {layer.name for layer in pruned.layers}


@pytest.mark.slow
def test_to_hls4ml_writes_the_project(hls4ml, models, tmp_path):
    model, x = models["mlp"]
    config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    config["LayerName"]["fc1"]["ReuseFactor"] = 4
    design = fpgalab.compile(model, x, hls_config=config, backend="Vitis", **TARGET)
    hls_model = design.to_hls4ml(tmp_path / "prj")
    assert (tmp_path / "prj" / "build_prj.tcl").exists()
    assert (tmp_path / "prj" / "firmware" / "myproject.cpp").exists()
    assert hls_model.config.get_config_value("Part") == "xcu250-figd2104-2L-e"
    assert hls_model.graph["fc1"].get_attr("reuse_factor") == 4
    assert "xcu250-figd2104-2L-e" in (tmp_path / "prj" / "build_prj.tcl").read_text() or any(
        "xcu250-figd2104-2L-e" in p.read_text() for p in (tmp_path / "prj").glob("*.tcl")
    )


def test_to_hls4ml_without_a_model_says_what_to_pass(models, tmp_path):
    model, x = models["mlp"]
    design = fpgalab.compile(model, x, io="parallel")
    rebuilt = fpgalab.Design.from_json(design.to_json())
    with pytest.raises(ValueError, match=r"model=keras_model"):
        rebuilt.to_hls4ml(tmp_path)


def test_the_cell_magic_reads_a_configuration_the_notebook_defines():
    from conftest import empty_session, magic_shell, run_fpga

    shell = magic_shell("import numpy as np\nimport keras\n")
    empty_session(shell)
    body = (
        "inp = keras.Input((16,), name='inp')\n"
        "net = keras.Model(inp, keras.layers.Dense(4, activation='relu', name='fc')(inp))\n"
        "cfg = {'Model': {'Precision': 'fixed<10,4>', 'ReuseFactor': 2, 'Strategy': 'Latency'},\n"
        "       'LayerName': {'fc': {'ReuseFactor': 4}}}\n"
    )
    captured, result = run_fpga(shell, "--hls4ml-config cfg --inputs np.zeros((1,16),np.float32) --quiet", body)
    assert result.success, captured.stderr
    design = shell.user_ns["net_design"]
    assert design.options.io == "parallel" and design.options.reuse == {"default": 2, "fc": 4}
    assert design.hls4ml_config()["hls_config"] == shell.user_ns["cfg"]
    captured, result = run_fpga(shell, "--hls4ml-config missing --inputs np.zeros((1,16),np.float32)", body)
    assert "no variable 'missing'" in captured.stderr + captured.stdout + str(result.error_in_exec)


def _fpgalab_types(design, model) -> dict:
    """{hls4ml layer: {variable: type text}} of what fpgalab computes each layer in."""
    from fpgalab.hls4ml import hls4ml_layers, keras_layers

    nodes = {n.name: n for n in design.kernel.nodes}
    constants = {c.name: c for c in design.kernel.constants}
    types = {}
    for layer in hls4ml_layers(design.kernel, keras_layers(model)):
        if layer.kind == "input":
            types[layer.name] = {"result_t": design.kernel.inputs[0].dtype}
            continue
        members = [nodes[n] for n in layer.nodes]
        if layer.kind == "weight":
            node = nodes[layer.primary]
            types[layer.name] = {
                "result_t": node.dtype,
                "accum_t": node.acc,
                "weight_t": constants[node.inputs[1]].dtype,
            }
            if len(node.inputs) > 2:  # a 1-D convolution's bias is added after its squeeze
                types[layer.name]["bias_t"] = constants[node.inputs[2]].dtype
        else:
            types[layer.name] = {"result_t": members[-1].dtype}
    return types


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("granularity", ["model", "type", "name"])
@pytest.mark.parametrize("backend", ["Vitis", None])
def test_the_types_are_the_ones_hls4ml_gives_the_layers(hls4ml, models, name, granularity, backend, tmp_path):
    """hls4ml's converter, on the same configuration, types every layer as fpgalab does (``auto`` included;
    without a backend, config_from_keras_model leaves accumulators at the model default)."""
    from fpgalab.hls4ml import parse_hls4ml_type

    model, x = models[name]
    config = hls4ml.utils.config_from_keras_model(model, granularity=granularity, backend=backend)
    design = fpgalab.compile(model, x, hls_config=copy.deepcopy(config), backend="Vitis", **TARGET)
    graph = hls4ml.converters.convert_from_keras_model(
        model, hls_config=copy.deepcopy(config), output_dir=str(tmp_path), backend="Vitis", **TARGET
    ).graph
    compared = 0
    for layer, types in _fpgalab_types(design, model).items():
        if layer not in graph:  # a layer hls4ml's optimizers removed or merged
            continue
        for variable, dtype in types.items():
            theirs = graph[layer].get_attr(variable)
            if theirs is None:
                continue
            assert parse_hls4ml_type(str(theirs.precision)) == dtype, (layer, variable)
            compared += 1
    assert compared >= 9


@pytest.mark.slow
def test_a_batchnorm_hls4ml_would_not_fold_is_a_warning(hls4ml, models):
    model, x = models["bn_mlp"]
    config = hls4ml.utils.config_from_keras_model(model, granularity="model")
    with pytest.warns(UserWarning, match="folds BatchNormalization 'bn' into 'd1' only when"):
        fpgalab.compile(model, x, hls_config=config, **TARGET)
    config = hls4ml.utils.config_from_keras_model(model, granularity="name")  # d1's result is 'auto': folded
    config["LayerName"]["drop"]["Precision"]["result"] = "fixed<8,3>"
    with pytest.warns(UserWarning, match=r"\['drop'\]: this layer has no hardware of its own"):
        design = fpgalab.compile(model, x, hls_config=copy.deepcopy(config), **TARGET)
    assert design.hls4ml_config()["hls_config"] == config


def test_to_hls4ml_without_hls4ml_says_how_to_install_it(models, tmp_path, monkeypatch):
    model, x = models["mlp"]
    design = fpgalab.compile(model, x, io="parallel")
    monkeypatch.setitem(sys.modules, "hls4ml", None)  # import hls4ml raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'fpgalab\[hls4ml\]'"):
        design.to_hls4ml(tmp_path)
    assert design.hls4ml_config()["io_type"] == "io_parallel"  # the configuration needs no hls4ml


def test_a_precision_search_gives_its_per_layer_types(models):
    model, x = models["mlp"]
    rng = np.random.default_rng(0)
    samples = rng.uniform(-1, 1, (64, 16)).astype(np.float32)
    labels = np.argmax(model.predict(samples, verbose=0), axis=1)
    result = fpgalab.search_precision(model, x, data=(samples, labels), loss=0.05, start_width=12, io="parallel")
    design = result.design
    config = design.hls4ml_config()["hls_config"]
    from fpgalab.hls4ml import hls4ml_layers, keras_layers, parse_hls4ml_type
    from fpgalab.hls4ml.resolve import model_default, read_type

    default = model_default(config)
    constants = {c.name: c for c in design.kernel.constants}
    for layer in hls4ml_layers(design.kernel, keras_layers(model)):
        if layer.kind != "weight":
            continue
        dot = next(n for n in design.kernel.nodes if n.name == layer.primary)
        assert read_type(config, layer, "weight", default) == constants[dot.inputs[1]].dtype
        assert read_type(config, layer, "result", default) == dot.dtype
    again = fpgalab.compile(model, x, **design.hls4ml_config())

    def weight_layers(d):
        return [(n.name, n.dtype, n.acc) for n in d.kernel.nodes if type(n).__name__ == "Dot"]

    assert weight_layers(again) == weight_layers(design)
    assert again.kernel.inputs[0].dtype == design.kernel.inputs[0].dtype
    assert parse_hls4ml_type(config["Model"]["Precision"]["default"]) is not None


def test_a_yaml_configuration_and_the_writer_s_arguments(models):
    model, x = models["mlp"]
    yaml_config = {
        "KerasJson": "model.json",
        "OutputDir": "my_prj",
        "ProjectName": "jets",
        "Part": "xczu9eg-ffvb1156-2-e",
        "ClockPeriod": 4,
        "IOType": "io_stream",
        "Backend": "Vitis",
        "HLSConfig": _hand_config(),
    }
    with pytest.warns(UserWarning, match="KerasJson ignored"):
        design = fpgalab.compile(model, x, hls_config=yaml_config, namespace="jets_ns", write_tar=True)
    options = design.options
    assert (options.device, options.clock_mhz, options.io, options.clock_uncertainty) == (
        "xczu9eg",
        250.0,
        "stream",
        0.27,
    )
    args = design.hls4ml_config()
    assert args["hls_config"] == _hand_config()
    assert {k: args[k] for k in ("part", "clock_period", "io_type", "backend", "output_dir", "project_name")} == {
        "part": "xczu9eg-ffvb1156-2-e",
        "clock_period": 4,
        "io_type": "io_stream",
        "backend": "Vitis",
        "output_dir": "my_prj",
        "project_name": "jets",
    }
    assert (args["namespace"], args["write_tar"]) == ("jets_ns", True)


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"bit_exact": True}, "bit_exact=True is not modelled"),
        ({"board": "pynq-z2"}, "board='pynq-z2' is not modelled"),
        ({"hls_config": {"HLSConfig": _hand_config(), "Part": "xcu250", "Stamp": 1}}, "'Stamp' are not modelled"),
        ({"hls_config": {"HLSConfig": _hand_config(), "Part": "xcu250"}, "part": "xcu250"}, "part given both"),
        ({"backend": "Quartus"}, "backend must be 'Vivado' or 'Vitis'"),
    ],
)
def test_unmodelled_converter_arguments_are_an_error(models, extra, message):
    model, x = models["mlp"]
    with pytest.raises(ValueError, match=message):
        fpgalab.compile(model, x, **{"hls_config": _hand_config(), **extra})


def test_without_a_part_hls4ml_s_default_is_named(models):
    model, x = models["mlp"]
    with pytest.warns(UserWarning, match="xcvu13p-flga2577-2-e, which fpgalab does not model"):
        design = fpgalab.compile(model, x, hls_config=_hand_config())
    assert design.options.device == "xcvu9p"
    assert design.hls4ml_config()["part"] == "xcvu9p-flgb2104-2-i"


def _relu_mlp():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(5)
    inp = keras.Input((16,), name="inp")
    x = keras.layers.Dense(24, activation="relu", name="fc1")(inp)
    x = keras.layers.Dense(12, activation="relu", name="fc2")(x)
    return keras.Model(inp, keras.layers.Dense(5, name="out")(x)), (16,)


def _relu_cnn():
    import keras  # noqa: PLC0415

    keras.utils.set_random_seed(6)
    inp = keras.Input((6, 6, 2), name="img")
    x = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inp)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.Flatten(name="flat")(x)
    return keras.Model(inp, keras.layers.Dense(4, name="out")(x)), (6, 6, 2)


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("make", [_relu_mlp, _relu_cnn], ids=["mlp", "cnn"])
@pytest.mark.parametrize("granularity", ["model", "name"])
def test_hls4ml_s_c_simulation_of_the_configuration_out_is_fpgalab_s_bits(hls4ml, make, granularity, tmp_path):
    """hls4ml builds the project from ``design.hls4ml_config()``; its C simulation (g++) gives fpgalab's
    simulated outputs bit for bit (function-table-free models: fpgalab's own table style differs)."""
    import shutil

    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    model, shape = make()
    xs = np.random.default_rng(0).uniform(-4, 4, (200, *shape)).astype(np.float32)
    config = hls4ml.utils.config_from_keras_model(model, granularity=granularity, default_precision="fixed<10,4>")
    if granularity == "name":
        config["LayerName"]["out"]["Precision"]["weight"] = "fixed<6,2,RND_CONV,SAT>"
        config["LayerName"]["out"]["Precision"]["accum"] = "fixed<14,6>"
    design = fpgalab.compile(model, xs[:1], hls_config=copy.deepcopy(config), backend="Vitis", **TARGET)
    hls_model = hls4ml.converters.convert_from_keras_model(model, output_dir=str(tmp_path), **design.hls4ml_config())
    hls_model.compile()
    theirs = hls_model.predict(xs)
    ours = np.asarray(design.simulate(xs)).reshape(theirs.shape)
    assert np.array_equal(theirs, ours)


@pytest.mark.slow
@pytest.mark.tools
@pytest.mark.parametrize("granularity", ["model", "name"])
def test_with_hls4ml_s_tables_tanh_and_softmax_are_hls4ml_s_bits_too(hls4ml, models, granularity, tmp_path):
    """With hls4ml's table semantics (``tables='hls4ml'``), a model with tanh and a softmax after a Dense
    whose ``auto`` result is wide: hls4ml's C simulation of ``design.hls4ml_config()`` is fpgalab's bits."""
    import shutil

    from fpgalab.options import Options

    if not hasattr(Options, "table_style"):
        pytest.skip("this fpgalab has no tables='hls4ml' option (hls4ml's table semantics)")
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    model, _ = models["mlp"]
    xs = np.random.default_rng(0).uniform(-2, 2, (200, 16)).astype(np.float32)
    config = hls4ml.utils.config_from_keras_model(model, granularity=granularity, backend="Vitis")
    design = fpgalab.compile(model, xs[:1], hls_config=config, backend="Vitis", **TARGET)
    hls_model = hls4ml.converters.convert_from_keras_model(model, output_dir=str(tmp_path), **design.hls4ml_config())
    hls_model.compile()
    theirs = hls_model.predict(xs)
    assert np.array_equal(theirs, np.asarray(design.simulate(xs)).reshape(theirs.shape))


def test_a_model_level_table_type_is_an_error(models):
    model, x = models["mlp"]
    config = _hand_config(Precision={"default": "fixed<16,6>", "table": "fixed<18,8>"})
    with pytest.raises(ValueError, match=r"\['Model'\]\['Precision'\]: variable 'table' is not modelled"):
        fpgalab.compile(model, x, hls_config=config, part="xcu250")
