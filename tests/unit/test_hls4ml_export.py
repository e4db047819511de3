"""The side panel's "hls4ml config" export and the ``--hls4ml-config NAME`` flag, on a captured model
(no TensorFlow, no hls4ml): the export writes ``design.hls4ml_config()`` as JSON."""

from __future__ import annotations

import json

import pytest
from conftest import case

from fpgalab.hls4ml import hls4ml_config
from fpgalab.magics import protocol
from fpgalab.magics.comm import export_design
from fpgalab.magics.hls4ml_config import Hls4mlConfigError, converter_arguments, merge
from fpgalab.magics.options import parse_cell_line
from fpgalab.magics.session import Entry, Session


@pytest.fixture(scope="module")
def design():
    return case("jet_mlp").design(io="parallel", reuse=2, precision="ap_fixed<12,5>", device="xcu250")


def test_a_design_without_a_keras_model_names_its_layers_from_the_ir(design):
    args = hls4ml_config(design)
    config = args["hls_config"]
    assert config["Model"]["Precision"] == {"default": "fixed<12,5>"} and config["Model"]["ReuseFactor"] == 2
    dense_layers = {n.layer for n in design.kernel.nodes if type(n).__name__ == "Dot"}
    assert dense_layers <= set(config.get("LayerName", {}))  # each with its accumulator, which fpgalab derives
    assert args["part"] == "xcu250-figd2104-2L-e" and args["io_type"] == "io_parallel"


def test_the_panel_exports_the_hls4ml_config(design, tmp_path):
    session = Session()
    session.add(Entry("jet", design, "cell-1", 1, "2025-01-02T10:20:30+00:00", "keras model jet"))
    request = protocol.parse_request(
        {
            "version": 1,
            "type": "export",
            "request_id": "h1",
            "design": "jet",
            "kind": "hls4ml",
            "path": "out/jet_hls4ml",
        }
    )
    reply = export_design(session, request, tmp_path)
    assert reply["ok"], reply
    assert reply["files"] == ["hls4ml_config.json"]
    written = json.loads((tmp_path / "out/jet_hls4ml/hls4ml_config.json").read_text())
    assert written == json.loads(json.dumps(hls4ml_config(design)))


def test_the_flag_is_parsed():
    assert parse_cell_line("--hls4ml-config cfg --inputs x").hls4ml_config == "cfg"
    assert parse_cell_line("--inputs x").hls4ml_config is None


def test_the_flag_reads_a_configuration_or_converter_arguments():
    config = {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": 1}}
    assert converter_arguments("cfg", {"cfg": config}) == {"hls_config": config}
    args = {"hls_config": config, "part": "xcu250-figd2104-2L-e", "io_type": "io_parallel", "model": object()}
    assert converter_arguments("args", {"args": args}) == {k: v for k, v in args.items() if k != "model"}
    with pytest.raises(Hls4mlConfigError, match="no variable 'nope'"):
        converter_arguments("nope", {})
    with pytest.raises(Hls4mlConfigError, match="expected hls4ml's configuration dict, got list"):
        converter_arguments("cfg", {"cfg": []})
    with pytest.raises(Hls4mlConfigError, match="'Model' section"):
        converter_arguments("cfg", {"cfg": {"Precision": "fixed<16,6>"}})
    with pytest.raises(Hls4mlConfigError, match="'OutputDirectory'"):
        converter_arguments("cfg", {"cfg": {"hls_config": config, "OutputDirectory": "x"}})


def test_session_defaults_give_way_to_the_configuration_and_the_line_does_not():
    options = {"device": "xcvu9p", "precision": "ap_fixed<8,3>"}
    converter = {"hls_config": {}, "part": "xcu250-figd2104-2L-e"}
    assert merge(options, {}, converter) == converter
    assert merge(options, {"device": "xcvu9p"}, converter) == {"device": "xcvu9p", **converter}
