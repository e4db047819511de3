"""The shape of the tree: the layering contracts hold and catch what they are for, files stay small,
and every op table has a row for every node class (docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fpgalab.backends.program import PROGRAMS
from fpgalab.frontend.tf import opcodes
from fpgalab.ir import nodes as ir
from fpgalab.ir.loops import LOOP_NESTS
from fpgalab.schedule.access import ACCESSES
from fpgalab.sim.rows import ROWS
from fpgalab.sim.tables import DEFAULT_TABLES

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_LINES = 400


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="module")
def copy_of_tree(tmp_path_factory) -> Path:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: import-linter is in the dev extras (make setup installs it)")
    tree = tmp_path_factory.mktemp("house")
    shutil.copytree(ROOT / "fpgalab", tree / "fpgalab", ignore=shutil.ignore_patterns("__pycache__", "labextension"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _with_line(tree: Path, relative: str, line: str):
    """A context that appends ``line`` to one module of the copied tree and restores it afterwards."""
    path = tree / relative
    original = path.read_text()

    class Edit:
        def __enter__(self):
            path.write_text(original + "\n" + line + "\n")

        def __exit__(self, *exc):
            path.write_text(original)

    return Edit()


def test_the_contracts_hold_on_the_tree(copy_of_tree):
    result = _lint_imports(copy_of_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(copy_of_tree):
    with _with_line(copy_of_tree, "fpgalab/sim/values.py", "import fpgalab.schedule.model  # noqa"):
        result = _lint_imports(copy_of_tree)
    assert result.returncode != 0
    assert "fpgalab.sim is not allowed to import fpgalab.schedule" in result.stdout


def test_a_circle_inside_a_stage_is_caught(copy_of_tree):
    with _with_line(copy_of_tree, "fpgalab/sim/values.py", "import fpgalab.sim.rows  # noqa"):
        result = _lint_imports(copy_of_tree)
    assert result.returncode != 0
    assert "No import circles between the modules of a stage BROKEN" in result.stdout


def test_a_backend_importing_another_is_caught(copy_of_tree):
    with _with_line(copy_of_tree, "fpgalab/backends/verilog/ops.py", "import fpgalab.backends.llvm.values  # noqa"):
        result = _lint_imports(copy_of_tree)
    assert result.returncode != 0
    assert "three backends are independent" in result.stdout and "BROKEN" in result.stdout


def test_no_source_file_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "fpgalab").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these by what they hold: {long}"


def test_every_node_class_has_a_simulator_row_and_a_program_row():

    assert [c.__name__ for c in ir.NODE_CLASSES if c not in ROWS] == []
    assert [c.__name__ for c in ir.NODE_CLASSES if c not in PROGRAMS] == []
    assert [c.__name__ for c in ir.NODE_CLASSES if c not in LOOP_NESTS] == []
    assert [c.__name__ for c in ir.NODE_CLASSES if c not in ACCESSES] == []


def test_every_hlo_elementwise_opcode_maps_to_an_ir_op_and_every_table_op_has_a_table():
    mapped = set(opcodes.UNARY.values()) | set(opcodes.BINARY.values()) | set(opcodes.COMPARE.values())
    assert mapped <= set(ir.ELEMENTWISE_OPS)
    assert set(opcodes.UNARY) | set(opcodes.BINARY) <= set(opcodes.SUPPORTED_OPS)
    assert set(ir.TABLE_OPS.values()) <= set(DEFAULT_TABLES)
