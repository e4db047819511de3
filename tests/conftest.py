"""Shared helpers: real models captured into tests/data/ (readable without TensorFlow)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))

CASES = sorted(p.name[: -len(".hlo.json")] for p in DATA.glob("*.hlo.json"))


class Case:
    """One captured model: its HLO module, weight bindings, inputs and TensorFlow's outputs."""

    def __init__(self, name: str):
        from fpgalab.frontend.tf.hlo import module_from_json

        self.name = name
        self.module = module_from_json((DATA / f"{name}.hlo.json").read_text())
        with np.load(DATA / f"{name}.npz") as data:
            arrays = {k: data[k] for k in data.files}
        self.meta = json.loads(str(arrays.pop("meta")))
        self.bindings = {int(k[6:]): v for k, v in arrays.items() if k.startswith("param_")}
        count = self.meta["n_inputs"]
        self.examples = [arrays[f"example_{k}"] for k in range(count)]
        self.samples = [arrays[f"sample_{k}"] for k in range(count)]
        self.references = [arrays[k] for k in sorted(a for a in arrays if a.startswith("reference_"))]
        self.example_output = arrays["example_output"]

    def float_kernel(self):
        from fpgalab.frontend.tf.lower import lower_module

        return lower_module(
            self.module,
            self.bindings,
            self.meta["n_inputs"],
            self.meta["input_names"],
            {int(k): v for k, v in self.meta["weight_names"].items()},
            frozenset(self.meta["layer_names"]),
            self.meta["name"],
        )

    def design(self, **options):
        from fpgalab.design import build_design
        from fpgalab.options import parse_options

        return build_design(self.name, self.float_kernel(), parse_options(**options), [e.shape for e in self.examples])


_CACHE: dict[str, Case] = {}


def case(name: str) -> Case:
    if name not in _CACHE:
        _CACHE[name] = Case(name)
    return _CACHE[name]


@pytest.fixture(params=CASES)
def any_case(request) -> Case:
    return case(request.param)


def relative_error(actual, expected) -> float:
    """max |a - e| / max |e|: the error relative to the tensor's scale."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = float(np.max(np.abs(expected)))
    return float(np.max(np.abs(actual - expected))) / (scale if scale > 0 else 1.0)


def ipython_shell():
    """IPython's test shell with fpgalab loaded, for the magics' tests. IPython's globalipapp starts the
    shell once per process, and its ``get_ipython`` imported by name returns None once another module has
    started it, so every test module asks here."""
    from IPython.testing import globalipapp

    shell = globalipapp.start_ipython() or globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "fpgalab")
    return shell


def empty_session(shell):
    """The shell's fpgalab session with no designs and no defaults: where each magics test starts."""
    from fpgalab.magics import session_of

    session = session_of(shell)
    session.entries.clear()
    session.defaults = {}
    return session


def run_fpga(shell, line: str, body: str = ""):
    """``%%fpga LINE`` over BODY run as a notebook cell (the line magic ``%fpga LINE`` without a body:
    IPython refuses an empty cell magic); returns (captured output, the run's result)."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(f"%%fpga {line}\n{body}" if body else f"%fpga {line}")
    return captured, result


def magic_shell(setup: str):
    """``ipython_shell()`` after running a test module's ``setup`` code in it."""
    shell = ipython_shell()
    assert shell.run_cell(setup).success
    return shell


@pytest.fixture(scope="module")
def hls4ml():
    """hls4ml, the peer the round-trip and bit-identity tiers compare with (``make test`` installs the
    ``hls4ml`` extra; bench/run_hls4ml_sim.py's copy in .cache/bench-hls4ml also serves), and g++ for
    its C simulation; the test is skipped, saying which is missing, without them."""
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed (apt-get install g++)")
    try:
        import hls4ml  # noqa: PLC0415
    except ImportError:
        peer = ROOT / ".cache" / "bench-hls4ml"
        if not (peer / "hls4ml").exists():
            pytest.skip("hls4ml is not installed: pip install 'fpgalab[hls4ml]' (make test installs it)")
        sys.path.append(str(peer))
        import hls4ml  # noqa: PLC0415
    return hls4ml
