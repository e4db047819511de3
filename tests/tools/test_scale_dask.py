"""Sweeps on other cores and machines (fpgalab.scale): the same rows as the serial run, in order, on
concurrent.futures pools and a real Dask LocalCluster; failed points kept; unreachable schedulers
refused quickly; Ctrl-C stopping the workers' tools."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading
import time

import pytest
import scale_tasks
from conftest import case

import fpgalab
from fpgalab.scale import Failed, SchedulerUnreachable, run_points
from fpgalab.verify.tools import ToolMissing

pytestmark = [pytest.mark.tools]

# 16 points of one dense layer: four precisions by four unrollings, each a different netlist
SPACE = {
    "precision": ["ap_fixed<16,6>", "ap_fixed<8,3>", "ap_fixed<12,4>", "ap_fixed<10,4>"],
    "unroll": [1, 2, 4, "full"],
}
SHUFFLED = [(0, 0.4), (1, 0.0), (2, 0.3), (3, 0.1), (4, 0.2), (5, 0.0)]  # points finish out of order


@pytest.fixture
def yosys():
    from fpgalab.verify.yosys import find_yosys

    try:
        find_yosys()
    except ToolMissing as missing:
        pytest.skip(str(missing))


def _cluster(workers: int):
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=":0")
    return cluster, distributed.Client(cluster, set_as_default=False)


def _rows(result) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "eval_ms"} for row in result.table.to_dict("records")]


@pytest.mark.slow
def test_explore_with_yosys_on_a_local_cluster_equals_the_serial_run(yosys, monkeypatch, tmp_path):
    design = case("dense_8").design(dataflow=False)
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path / "serial"))
    serial = fpgalab.explore(design, space=SPACE, synthesize=True)
    # a cache of their own: the workers synthesize every point again (they inherit the environment)
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path / "cluster"))
    calls = []
    spread = fpgalab.explore(design, space=SPACE, synthesize=True, workers=2, progress=lambda *a: calls.append(a))
    assert serial.points == spread.points == 16 and serial.failed == spread.failed == 0
    assert _rows(spread) == _rows(serial)  # every column, Yosys's counts included, in the same order
    assert all(row["yosys_lut"] > 0 and row["yosys_ff"] > 0 for row in _rows(spread))
    assert len({(r["yosys_lut"], r["yosys_ff"], r["yosys_dsp"]) for r in _rows(spread)}) > 8  # points differ
    assert [c[0] for c in calls] == list(range(1, 17)) and {c[1] for c in calls} == {16}
    assert len(list((tmp_path / "cluster" / "yosys").iterdir())) == 16  # the workers did synthesize


@pytest.mark.slow
def test_pools_and_a_client_synthesize_as_the_serial_run(yosys, monkeypatch, tmp_path):
    designs = [case("vecmul_8").design(dataflow=False), case("dense_8").design(dataflow=False, unroll="full")]
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path / "serial"))
    serial = [(r.lut, r.ff, r.dsp, r.bram, r.cells) for r in fpgalab.synthesize(designs)]
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path / "threads"))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        threads = fpgalab.synthesize(designs, executor=pool, progress=False)
    assert [(r.lut, r.ff, r.dsp, r.bram, r.cells) for r in threads] == serial
    assert not any(r.cached for r in threads)
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path / "processes"))
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        processes = fpgalab.synthesize(designs, executor=pool, progress=False)
    assert [(r.lut, r.ff, r.dsp, r.bram, r.cells) for r in processes] == serial
    cluster, client = _cluster(1)  # a client of the caller's: used, not closed
    try:
        assert [(r.lut, r.ff, r.dsp, r.bram, r.cells) for r in fpgalab.synthesize(designs, executor=client)] == serial
        assert client.status == "running"
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_a_point_whose_synthesis_fails_is_a_row_with_its_error(yosys, monkeypatch, tmp_path):
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))
    design = case("vecmul_8").design(dataflow=False)
    space = {"device": ["xcvu9p", "1sx280", "xc7z020"]}  # no open synthesis flow for an Intel Stratix 10
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        result = fpgalab.explore(design, space=space, synthesize=True, executor=pool, progress=False)
    rows = _rows(result)
    assert [r["device"] for r in rows] == space["device"] and [r["point"] for r in rows] == [0, 1, 2]
    assert rows[0]["status"] == rows[2]["status"] == "ok" and rows[0]["yosys_lut"] > 0 and rows[2]["yosys_lut"] > 0
    assert rows[1]["status"].startswith("error: synthesis: ValueError: no open synthesis flow for 1sx280")
    assert rows[1]["feasible"] is False and result.failed == 1 and result.best["device"] != "1sx280"


def test_verify_many_designs_on_a_pool(tmp_path, monkeypatch):
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))
    designs = [case("vecmul_8").design(), case("softmax_8").design(precision="ap_fixed<16,6>")]
    serial = fpgalab.verify_designs(designs, rtl=False, progress=False)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        spread = fpgalab.verify_designs(designs, rtl=False, executor=pool, progress=False)
    assert [r.llvm_equal for r in spread] == [r.llvm_equal for r in serial] == [True, True]
    assert fpgalab.verify.verify_design is not None  # still the package of the checks
    failed = fpgalab.synthesize([case("vecmul_8").design(device="1sx280")], progress=False)
    assert isinstance(failed[0], Failed) and "no open synthesis flow" in failed[0].error


@pytest.mark.parametrize("kind", ["serial", "threads", "processes", "dask"])
def test_points_come_back_in_order_with_failures_kept(kind):
    calls = []
    if kind == "serial":
        outcomes = run_points(scale_tasks.square_after, SHUFFLED, progress=lambda *a: calls.append(a))
    elif kind == "dask":
        outcomes = run_points(scale_tasks.square_after, SHUFFLED, workers=2, progress=lambda *a: calls.append(a))
    else:
        pools = {"threads": concurrent.futures.ThreadPoolExecutor, "processes": concurrent.futures.ProcessPoolExecutor}
        with pools[kind](2) as pool:
            outcomes = run_points(
                scale_tasks.square_after, SHUFFLED, executor=pool, progress=lambda *a: calls.append(a)
            )
    assert [o.value for o in outcomes] == [0, 1, 4, None, 16, 25]
    assert outcomes[3].error == "ValueError: three is refused" and [o.ok for o in outcomes].count(False) == 1
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5, 6] and sorted(c[2] for c in calls) == [str(k) for k in range(6)]


def test_an_unreachable_scheduler_is_refused_within_seconds():
    pytest.importorskip("distributed")
    start = time.perf_counter()
    with pytest.raises(SchedulerUnreachable, match=r"no Dask scheduler answered at tcp://127\.0\.0\.1:1 within"):
        fpgalab.synthesize([case("vecmul_8").design()], executor="tcp://127.0.0.1:1")
    assert time.perf_counter() - start < 8


def test_bad_executor_arguments_are_refused():
    design = case("vecmul_8").design()
    with pytest.raises(ValueError, match="workers must be a number of worker processes"):
        fpgalab.synthesize([design], workers=0)
    with pytest.raises(ValueError, match="not both"):
        fpgalab.synthesize([design], workers=2, executor="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="no Dask scheduler address"):
        fpgalab.synthesize([design], executor="127.0.0.1:8786")
    with pytest.raises(ValueError, match="executor must be None, a concurrent.futures.Executor"):
        fpgalab.synthesize([design], executor=4)
    with pytest.raises(ValueError, match="give synthesize=True"):
        fpgalab.explore(design, space={"unroll": [1, 2]}, workers=2)
    with pytest.raises(ValueError, match="designs must be fpgalab Designs"):
        fpgalab.synthesize(["model.json"])
    with pytest.raises(ValueError, match=r"progress must be a function \(done, total, label\), False or None"):
        fpgalab.synthesize([design], progress="bar")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("kind", ["threads", "dask"])
def test_ctrl_c_stops_the_tools_the_workers_run(kind, tmp_path):
    folders = [tmp_path / f"point{k}" for k in range(4)]
    for folder in folders:
        folder.mkdir()
    main = threading.main_thread().ident
    stopped = threading.Event()

    def press_ctrl_c():  # once both workers run their tool; again if it went unseen (as a user would)
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("point*/pid-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(5):
            signal.pthread_kill(main, signal.SIGINT)
            if stopped.wait(5):
                return

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        if kind == "dask":
            run_points(scale_tasks.endless_tool, [str(f) for f in folders], workers=2, progress=False)
        else:
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                run_points(scale_tasks.endless_tool, [str(f) for f in folders], executor=pool, progress=False)
    stopped.set()
    pids = [int(p.name[4:]) for p in tmp_path.glob("point*/pid-*")]
    assert len(pids) == 2  # the two points not started never started
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids), "the workers' tools still run after Ctrl-C"
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_rtl_verification_of_many_designs_on_a_local_cluster(monkeypatch, tmp_path):
    from fpgalab.verify.verilator import find_verilator

    try:
        find_verilator()
    except ToolMissing as missing:
        pytest.skip(str(missing))
    monkeypatch.setenv("FPGALAB_CACHE", str(tmp_path))  # empty: both workers build Verilator's runtime at once
    designs = [case("vecmul_8").design(dataflow=False), case("dense_8").design(dataflow=False, unroll=2)]
    reports = fpgalab.verify_designs(designs, rtl=True, workers=2, progress=False)
    assert [(r.llvm_equal, r.rtl_equal, r.rtl_mismatches) for r in reports] == [(True, True, 0)] * 2
    assert [r.rtl_cycles for r in reports] == [d.schedule.sequential_cycles for d in designs]
    assert not any(r.rtl_cached for r in reports)
