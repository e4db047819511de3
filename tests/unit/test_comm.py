"""The kernel side of the side panel's comm (fpgalab.magics.comm), with stand-in comms: no kernel, no TF."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from fpgalab.magics import comm as panel_comm
from fpgalab.magics import protocol
from fpgalab.magics.session import Entry, Session

# ---------------------------------------------------------------- stand-ins


class FakeComm:
    def __init__(self, comm_id="c1"):
        self.comm_id = comm_id
        self.sent, self.closed = [], False
        self._on_msg = self._on_close = None

    def send(self, data):
        json.dumps(data, allow_nan=False)  # what reaches the browser must be strict JSON
        self.sent.append(data)

    def close(self):
        self.closed = True

    def on_msg(self, callback):
        self._on_msg = callback

    def on_close(self, callback):
        self._on_close = callback

    def receive(self, data):
        self._on_msg({"content": {"data": data}})

    def close_from_panel(self):
        self._on_close({"content": {"data": {}}})


class FakeManager:
    def __init__(self):
        self.targets = {}

    def register_target(self, name, callback):
        self.targets[name] = callback

    def unregister_target(self, name, callback):
        return self.targets.pop(name)

    def open(self, comm, data=None):
        self.targets[panel_comm.TARGET](
            comm, {"content": {"data": data if data is not None else {"version": 1, "type": "hello"}}}
        )


@dataclass(frozen=True)
class Res:
    lut: float = 0
    ff: float = 0
    dsp: float = 0
    bram: float = 0
    uram: float = 0


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    cycles: int
    resources: Res


@dataclass(frozen=True)
class Report:
    cycles: int = 120
    interval: int = 64
    latency_us: float = 0.6
    throughput: float = 3.3e6
    resources: Res = Res(12000, 9000, 64, 8, 0)
    utilization: Res = Res(0.01, 0.004, 0.0094, 0.002, 0.0)
    fits: bool = True
    per_layer: tuple = (Layer("dense", "dot", 70, Res(8000, 6000, 64, 8)),)
    warnings: tuple = ()


class StandInDesign:
    """What the comm reads from a ``fpgalab.Design``: options, report(), emit()."""

    def __init__(self, name="mlp", report=None, fail=None):
        self.name = name
        self.options = SimpleNamespace(
            device="xcvu9p",
            clock_mhz=200.0,
            precision_text="ap_fixed<16,6>",
            unroll=1,
            reuse=None,
            pipeline=True,
            partition={"dense": 4},
        )
        self._report, self._fail = report or Report(), fail
        self.reports = 0
        self.emitted = []

    def report(self):
        self.reports += 1
        if self._fail:
            raise self._fail
        return self._report

    def emit(self, kind, path, overwrite=False):
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / f"{self.name}.{ {'hls': 'cpp', 'llvm': 'll', 'verilog': 'v'}[kind] }").write_text("// made\n")
        self.emitted.append((kind, str(path), overwrite))
        return path


def entry(name="mlp", design=None, cell_id="cell-1", count=3):
    return Entry(name, design or StandInDesign(name), cell_id, count, "2025-01-02T10:20:30+00:00", "keras model m")


def kernel_shell():
    return SimpleNamespace(kernel=SimpleNamespace(comm_manager=FakeManager()))


# ---------------------------------------------------------------- snapshot


def test_snapshot_lists_designs_in_order_with_figures():
    session = Session()
    session.add(entry("mlp"))
    session.add(entry("mlp_fast", StandInDesign("mlp_fast", Report(cycles=60, latency_us=0.3))))
    message = protocol.snapshot(session)
    assert message["version"] == 1 and message["type"] == "snapshot"
    rows = message["designs"]
    assert [r["name"] for r in rows] == ["mlp", "mlp_fast"]
    first = rows[0]
    assert first["device"] == "xcvu9p" and first["precision"] == "ap_fixed<16,6>" and first["clock_mhz"] == 200
    assert (first["cycles"], first["interval"], first["latency_us"]) == (120, 64, 0.6)
    assert first["utilization"]["dsp"] == pytest.approx(0.0094)
    assert first["resources"]["lut"] == 12000 and first["fits"] is True
    assert first["cell_id"] == "cell-1" and first["execution_count"] == 3
    assert first["layers"] == [
        {
            "name": "dense",
            "kind": "dot",
            "cycles": 70,
            "resources": {"lut": 8000, "ff": 6000, "dsp": 64, "bram": 8, "uram": 0},
        }
    ]
    assert rows[1]["cycles"] == 60
    json.dumps(message, allow_nan=False)


def test_snapshot_of_a_design_whose_report_fails_keeps_it_with_the_reason():
    session = Session()
    session.add(entry("broken", StandInDesign("broken", fail=KeyError("no cost model for Gather"))))
    row = protocol.snapshot(session)["designs"][0]
    assert row["cycles"] is None and row["utilization"] is None and row["fits"] is None
    assert "no cost model for Gather" in row["error"]


def test_snapshot_turns_nan_and_infinity_into_null():
    report = Report(latency_us=math.nan, utilization=Res(math.inf, 0.1, 0, 0, 0))
    session = Session()
    session.add(entry("odd", StandInDesign("odd", report)))
    row = protocol.snapshot(session)["designs"][0]
    assert row["latency_us"] is None and row["utilization"]["lut"] is None and row["utilization"]["ff"] == 0.1
    json.dumps(row, allow_nan=False)


def test_snapshot_rows_are_cached_per_compiled_design():
    session, cache = Session(), protocol._SummaryCache()
    design = StandInDesign("mlp")
    session.add(entry("mlp", design))
    protocol.snapshot(session, cache)
    protocol.snapshot(session, cache)
    assert design.reports == 1
    session.add(entry("mlp", StandInDesign("mlp", Report(cycles=7))))  # compiled again: a new row
    assert protocol.snapshot(session, cache)["designs"][0]["cycles"] == 7


def test_validate_snapshot_rejects_malformed_rows():
    session = Session()
    session.add(entry("mlp"))
    good = protocol.snapshot(session)
    protocol.validate_snapshot(good)
    for change in (
        {"cycles": "120"},
        {"name": 3},
        {"fits": "yes"},
        {"latency_us": math.inf},
        {"utilization": {"lut": "1%"}},
        {"options": {"unroll": 4}},
    ):
        bad = json.loads(json.dumps(good))
        bad["designs"][0].update(change)
        with pytest.raises(protocol.ProtocolError):
            protocol.validate_snapshot(bad)
    with pytest.raises(protocol.ProtocolError):
        protocol.validate_snapshot({**good, "version": 2})
    twice = json.loads(json.dumps(good))
    twice["designs"].append(twice["designs"][0])
    with pytest.raises(protocol.ProtocolError, match="repeated"):
        protocol.validate_snapshot(twice)


def test_snapshot_of_a_real_design():
    from tests.conftest import case

    design = case("dense_8").design(precision="ap_fixed<16,6>")
    session = Session()
    session.add(Entry("dense", design, None, 1, "2025-01-02T10:20:30+00:00"))
    row = protocol.snapshot(session)["designs"][0]
    report = design.report()
    assert row["cycles"] == report.cycles and row["interval"] == report.interval
    assert row["latency_us"] == pytest.approx(report.latency_us)
    assert row["utilization"]["lut"] == pytest.approx(report.utilization.lut)
    assert row["fits"] is report.fits
    assert row["precision"] == design.options.precision_text
    assert set(row["options"]) >= {"unroll", "reuse", "pipeline"}
    assert all(isinstance(v, str) for v in row["options"].values())


# ---------------------------------------------------------------- the link


def test_register_is_a_no_op_outside_a_kernel():
    assert panel_comm.register(SimpleNamespace(), Session()) is None
    assert panel_comm.register(SimpleNamespace(kernel=None), Session()) is None
    assert panel_comm.register(SimpleNamespace(kernel=SimpleNamespace()), Session()) is None
    session = Session()
    panel_comm.register(None, session)
    assert session.on_change == []


def test_open_sends_a_snapshot_and_every_change_sends_another():
    shell, session = kernel_shell(), Session()
    link = panel_comm.register(shell, session)
    manager = shell.kernel.comm_manager
    assert panel_comm.TARGET in manager.targets
    comm = FakeComm()
    manager.open(comm)
    assert comm.sent[-1]["type"] == "snapshot" and comm.sent[-1]["designs"] == []
    session.add(entry("mlp"))
    assert [d["name"] for d in comm.sent[-1]["designs"]] == ["mlp"]
    other = FakeComm("c2")  # a second notebook on the same kernel
    manager.open(other)
    session.add(entry("mlp_fast"))
    assert [d["name"] for d in other.sent[-1]["designs"]] == ["mlp", "mlp_fast"]
    assert len(comm.sent) == 3
    comm.close_from_panel()
    session.add(entry("tiny"))
    assert len(comm.sent) == 3 and len(other.sent) == 3
    assert set(link.comms) == {"c2"}


def test_no_snapshot_is_made_while_no_panel_listens():
    shell, session = kernel_shell(), Session()
    panel_comm.register(shell, session)
    design = StandInDesign("mlp")
    session.add(entry("mlp", design))
    assert design.reports == 0


def test_reload_replaces_the_link_and_keeps_the_panels_connected():
    shell, session = kernel_shell(), Session()
    first = panel_comm.register(shell, session)
    comm = FakeComm()
    shell.kernel.comm_manager.open(comm)
    second = panel_comm.register(shell, session)  # %reload_ext fpgalab
    assert first is not second and not comm.closed
    assert session.on_change == [second.session_changed]
    assert set(second.comms) == {"c1"} and first.comms == {}
    assert len(comm.sent) == 2  # a fresh snapshot from the new link
    session.add(entry("mlp"))
    assert len(comm.sent) == 3  # once, not once per link
    comm.receive({"version": 1, "type": "refresh"})
    assert len(comm.sent) == 4
    panel_comm.unregister(shell)
    assert comm.closed
    assert session.on_change == [] and panel_comm.TARGET not in shell.kernel.comm_manager.targets


def test_a_broken_comm_does_not_break_the_cell():
    shell, session = kernel_shell(), Session()
    panel_comm.register(shell, session)
    comm = FakeComm()
    shell.kernel.comm_manager.open(comm)
    comm.send = lambda data: (_ for _ in ()).throw(RuntimeError("socket gone"))
    session.add(entry("mlp"))  # no exception


@pytest.mark.parametrize(
    "data",
    [
        None,
        "refresh",
        [],
        {"type": "refresh"},
        {"version": 2, "type": "refresh"},
        {"version": "1", "type": "refresh"},
        {"version": 1, "type": "launch"},
        {"version": 1, "type": "export", "request_id": "e1", "design": "mlp", "kind": "vhdl", "path": "x"},
        {"version": 1, "type": "export", "request_id": "e1", "design": "mlp", "kind": "hls", "path": 3},
        {"version": 1, "type": "export", "request_id": "<e1>", "design": "mlp", "kind": "hls", "path": "x"},
        {
            "version": 1,
            "type": "export",
            "request_id": "e1",
            "design": "mlp",
            "kind": "hls",
            "path": "x",
            "overwrite": "yes",
        },
    ],
)
def test_malformed_requests_are_dropped_and_logged(data, caplog):
    shell, session = kernel_shell(), Session()
    session.add(entry("mlp"))
    panel_comm.register(shell, session)
    comm = FakeComm()
    shell.kernel.comm_manager.open(comm)
    sent = len(comm.sent)
    with caplog.at_level("WARNING", logger="fpgalab.comm"):
        comm.receive(data)
    assert len(comm.sent) == sent
    assert "dropped a message" in caplog.text
    assert session.get("mlp").design.emitted == []


def test_an_open_of_another_version_is_refused():
    shell, session = kernel_shell(), Session()
    panel_comm.register(shell, session)
    comm = FakeComm()
    shell.kernel.comm_manager.open(comm, {"version": 99, "type": "hello"})
    assert comm.sent[-1]["type"] == "error" and comm.closed


def test_refresh_sends_a_snapshot():
    shell, session = kernel_shell(), Session()
    panel_comm.register(shell, session)
    comm = FakeComm()
    shell.kernel.comm_manager.open(comm)
    comm.receive({"version": 1, "type": "refresh"})
    assert len(comm.sent) == 2 and comm.sent[-1]["type"] == "snapshot"


# ---------------------------------------------------------------- export


@pytest.fixture
def exporting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shell, session = kernel_shell(), Session()
    session.add(entry("mlp"))
    panel_comm.register(shell, session)
    comm = FakeComm()
    shell.kernel.comm_manager.open(comm)

    def request(path, overwrite=False, design="mlp", kind="hls"):
        comm.receive(
            {
                "version": 1,
                "type": "export",
                "request_id": "e1",
                "design": design,
                "kind": kind,
                "path": path,
                "overwrite": overwrite,
            }
        )
        return comm.sent[-1]

    return SimpleNamespace(root=tmp_path, request=request, design=session.get("mlp").design)


def test_export_writes_inside_the_notebook_folder(exporting):
    reply = exporting.request("exports/mlp_hls")
    assert reply["type"] == "export_result" and reply["ok"], reply
    assert reply["path"] == "exports/mlp_hls" and reply["files"] == ["mlp.cpp"]
    assert (exporting.root / "exports/mlp_hls/mlp.cpp").is_file()


def test_export_never_overwrites_without_a_confirmation(exporting):
    assert exporting.request("out", kind="verilog")["ok"]
    reply = exporting.request("out", kind="verilog")
    assert not reply["ok"] and reply["exists"] and len(exporting.design.emitted) == 1
    reply = exporting.request("out", overwrite=True, kind="verilog")
    assert reply["ok"] and exporting.design.emitted[-1] == ("verilog", str(exporting.root / "out"), True)


@pytest.mark.parametrize(
    "path",
    [
        "/tmp/evil",
        "../evil",
        "a/../../evil",
        "a/../..",
        "~/evil",
        "C:/evil",
        "\\\\server\\share",
        "",
        " ",
        ".",
        "./",
        "a\x00b",
        "x" * 2000,
        " x",
    ],
)
def test_export_refuses_paths_outside_the_folder(exporting, path):
    reply = exporting.request(path)
    assert not reply["ok"] and reply["error"] and exporting.design.emitted == []


def test_export_refuses_a_symlink_out_of_the_folder(exporting, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    os.symlink(outside, exporting.root / "link")
    reply = exporting.request("link/mlp_hls")
    assert not reply["ok"] and "outside" in reply["error"]
    assert list(outside.iterdir()) == [] and exporting.design.emitted == []
    os.symlink(exporting.root / "exports", exporting.root / "inside")  # a symlink within the folder is fine
    (exporting.root / "exports").mkdir()
    assert exporting.request("inside/mlp_hls")["ok"]


def test_export_of_an_unknown_design_or_a_failing_emit(exporting):
    reply = exporting.request("x", design="nope")
    assert not reply["ok"] and "no design named 'nope'" in reply["error"]

    def broken(kind, path, overwrite=False):
        raise NotImplementedError("Verilog of softmax")

    exporting.design.emit = broken
    reply = exporting.request("y", kind="verilog")
    assert not reply["ok"] and "Verilog of softmax" in reply["error"]


def test_export_root_is_the_directory_at_load_time(exporting, tmp_path_factory):
    os.chdir(tmp_path_factory.mktemp("elsewhere"))  # a %cd in the notebook does not move exports
    assert exporting.request("later")["ok"]
    assert (exporting.root / "later").is_dir()
