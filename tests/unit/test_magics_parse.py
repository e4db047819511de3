"""The %%fpga / %fpga line parsing, finding the cell's function, the session registry: no TensorFlow."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fpgalab.magics.cell import FpgaError, bound_names, find_target, kind_of
from fpgalab.magics.options import MagicUsageError, parse_cell_line, parse_line, split_values, sweep_value
from fpgalab.magics.session import Entry, Session, current_cell_id


def test_cell_line_every_option():
    args = parse_cell_line(
        "--device xcu250 --clock 250 --precision 'ap_fixed<8,3>' --unroll full --reuse 4 "
        "--no-pipeline --dataflow --inputs x[:1] --data xs --labels ys --name d "
        "--sweep reuse=1,2 precision=ap_fixed<8,3>,ap_fixed<16,6> --emit hls out/hls --quiet"
    )
    assert args.options == {
        "device": "xcu250",
        "clock_mhz": 250.0,
        "precision": "ap_fixed<8,3>",
        "unroll": "full",
        "reuse": 4,
        "pipeline": False,
        "dataflow": True,
    }
    assert (args.inputs, args.data, args.labels, args.name) == ("x[:1]", "xs", "ys", "d")
    assert args.sweep == {"reuse": [1, 2], "precision": ["ap_fixed<8,3>", "ap_fixed<16,6>"]}
    assert args.emit == [("hls", "out/hls")] and args.quiet and not args.help


def test_cell_line_empty_means_defaults():
    args = parse_cell_line("")
    assert args.options == {} and args.sweep == {} and args.emit == [] and not args.quiet


def test_cell_line_onnx_file():
    assert parse_cell_line("--onnx models/net.onnx --data xs").onnx == "models/net.onnx"
    assert parse_cell_line("").onnx is None
    assert parse_line("--onnx net.onnx --precision float32").command == "onnx"  # %fpga --onnx: no cell needed
    assert parse_line("--precision=float32 --onnx=net.onnx").command == "onnx"


def test_quoted_expression_with_spaces():
    assert parse_cell_line('--inputs "np.zeros((1, 64))"').inputs == "np.zeros((1, 64))"


@pytest.mark.parametrize(
    "line, wrong",
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--clock fast", "expected a number of MHz"),
        ("--clock -5", "expected a positive number"),
        ("--unroll 0", "expected a positive integer"),
        ("--reuse two", "expected a positive integer"),
        ("--emit vhdl out", "--emit 'vhdl'"),
        ("--name 3d", "Python identifier"),
        ("--labels y", "--labels needs --data"),
        ("--sweep reuse", "write KEY=V1,V2"),
        ("--sweep colour=red,blue", "'colour' is not a compile option"),
        ("--inputs 'unclosed", "cannot split the line"),
    ],
)
def test_bad_cell_line_gives_usage_and_reason(line, wrong):
    with pytest.raises(MagicUsageError) as err:
        parse_cell_line(line)
    message = str(err.value)
    assert message.startswith("usage: %%fpga [--device PART]")
    assert wrong in message


def test_sweep_values_keep_commas_inside_brackets():
    assert split_values("ap_fixed<16,6>,ap_fixed<8,3>") == ["ap_fixed<16,6>", "ap_fixed<8,3>"]
    assert [sweep_value(v) for v in ("4", "2.5", "true", "None", "full")] == [4, 2.5, True, None, "full"]
    assert parse_cell_line("--sweep clock=100,200").sweep == {"clock_mhz": [100, 200]}


def test_line_commands():
    assert parse_line("").command == "help"
    config = parse_line("config --device xcu250 --clock 250")
    assert config.command == "config" and config.options == {"device": "xcu250", "clock_mhz": 250.0}
    assert parse_line("config --reset").reset
    assert parse_line("list").command == "list" and parse_line("devices").command == "devices"
    assert parse_line("compare a b").names == ["a", "b"]
    for bad, wrong in (
        ("compare a", "two design names"),
        ("frobnicate", "unknown command"),
        ("list --all", "unrecognized arguments"),
    ):
        with pytest.raises(MagicUsageError, match=wrong):
            parse_line(bad)


def test_bound_names_in_order_of_last_binding():
    source = "def f(x):\n    return x\nmodel = 1\ndef g(x):\n    return x\nf = f\na, (b, c) = 1, (2, 3)\n"
    assert bound_names(source) == ["model", "g", "f", "a", "b", "c"]
    assert bound_names("def broken(:\n") == []


def _kernel(x):
    return x


_kernel.__fpgalab_options__ = {"function": _kernel, "options": {}, "example_args": None}


def _plain(x):
    return x


def test_find_target_prefers_kernel_then_last():
    namespace = {"k": _kernel, "p": _plain, "n": 3}
    assert find_target(namespace, ["k", "p", "n"], [])[0] == "k"
    assert find_target({"p": _plain, "q": _plain, "n": 3}, ["p", "q", "n"], [])[:1] == ("q",)
    assert find_target({"p": _plain}, [], ["p"])[2] == "function"
    with pytest.raises(FpgaError, match="defines no function"):
        find_target({"n": 3}, ["n"], ["n"])
    assert kind_of(3) is None and kind_of(_plain) == "function" and kind_of(_kernel) == "kernel"
    torch_like = type("Linear", (type("Module", (), {"__module__": "torch.nn.modules.module"}),), {})()
    assert kind_of(torch_like) == "torch module" and kind_of("net.onnx") is None  # --onnx PATH compiles files


def test_session_registry_order_and_listeners():
    session = Session()
    calls = []
    session.on_change.append(lambda s: calls.append(list(s.entries)))
    session.add(Entry("a", object(), None, 1, "2026-01-01T00:00:00+00:00"))
    session.add(Entry("b", object(), "cell-2", 2, "2026-01-01T00:00:01+00:00"))
    session.add(Entry("a", object(), None, 3, "2026-01-01T00:00:02+00:00"))  # compiled again: moves to the end
    session.set_defaults({"device": "xcu250"})
    assert calls == [["a"], ["a", "b"], ["b", "a"], ["b", "a"]]
    assert session.get("b").cell_id == "cell-2" and len(session) == 2
    with pytest.raises(KeyError, match="designs: b, a"):
        session.get("zzz")


def test_failing_listener_never_breaks_the_session(capsys):
    session = Session()
    session.on_change.append(lambda s: 1 / 0)
    session.add(Entry("a", object(), None, 1, ""))
    session.add(Entry("b", object(), None, 2, ""))
    assert list(session.entries) == ["a", "b"]
    assert capsys.readouterr().err.count("ZeroDivisionError") == 1  # reported once


def test_cell_id_from_the_execute_request_metadata():
    kernel = SimpleNamespace(get_parent=lambda: {"header": {}, "metadata": {"cellId": "abc-123"}})
    assert current_cell_id(SimpleNamespace(kernel=kernel)) == "abc-123"
    assert current_cell_id(SimpleNamespace(kernel=None)) is None
    assert current_cell_id(SimpleNamespace()) is None
    no_meta = SimpleNamespace(get_parent=lambda: {"header": {}})
    assert current_cell_id(SimpleNamespace(kernel=no_meta)) is None
