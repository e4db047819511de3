"""The side panel's packaging: versions agree, the wheel maps the built extension where JupyterLab looks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import fpgalab

ROOT = Path(__file__).resolve().parents[2]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")


def test_versions_and_names_agree():
    package = json.loads((ROOT / "labextension" / "package.json").read_text())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert package["name"] == "fpgalab" == pyproject["project"]["name"]
    assert package["version"] == fpgalab.__version__ == pyproject["project"]["version"]
    assert package["jupyterlab"]["outputDir"] == "../fpgalab/labextension"


def test_the_wheel_ships_the_built_extension_as_shared_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["shared-data"]["fpgalab/labextension"] == "share/jupyter/labextensions/fpgalab"
    assert "fpgalab/labextension" in wheel["artifacts"]
    hook = pyproject["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert "fpgalab/labextension/package.json" in hook["ensured-targets"]


def test_the_built_extension_if_built():
    built = ROOT / "fpgalab" / "labextension" / "package.json"
    if not built.exists():
        pytest.skip("the side panel is not built (make setup builds it)")
    data = json.loads(built.read_text())
    assert data["name"] == "fpgalab" and data["version"] == fpgalab.__version__
    load = data["jupyterlab"]["_build"]["load"]
    assert (built.parent / load).is_file()


def test_both_npm_projects_pin_what_the_registry_needs():
    for folder in ("labextension", "labextension/ui-tests"):
        resolutions = json.loads((ROOT / folder / "package.json").read_text())["resolutions"]
        assert resolutions["@rspack/core"] == "2.2.9"
        for name in ("@jupyterlab/documentsearch", "@jupyterlab/lsp", "@jupyterlab/markedparser-extension"):
            assert resolutions[name] == "<4.6.6"
        assert (ROOT / folder / "yarn.lock").stat().st_size > 0
