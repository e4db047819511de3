"""Data safety and clear errors (issue 12, item 5): exports never delete what fpgalab did not write,
dangerous folders are refused, and bad calls say what is wrong instead of failing deep inside."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import case

from fpgalab.backends import MANIFEST, emit
from fpgalab.options import parse_options


@pytest.fixture
def design():
    return case("vecmul_8").design()


def test_an_export_folder_carries_a_manifest_and_only_such_a_folder_is_replaced(design, tmp_path):
    folder = emit(design, "hls", tmp_path / "prj")
    listed = set((folder / MANIFEST).read_text().split('"'))
    assert "kernel.cpp" in listed and "weights/" not in listed
    emit(design, "hls", folder, overwrite=True)  # its own export: replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError, match="not written by fpgalab"):
        emit(design, "hls", mine, overwrite=True)
    assert (mine / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "prj"]


@pytest.mark.parametrize("path", ["", "   ", None, ".", "/"])
def test_no_folder_or_a_dangerous_one_is_refused(design, path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="give the folder|refusing to write"):
        emit(design, "hls", path, overwrite=True)


def test_home_is_refused_and_tilde_is_expanded(design, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="refusing to write"):
        emit(design, "hls", "~", overwrite=True)
    folder = emit(design, "hls", "~/out")
    assert folder == home / "out" and (home / "out" / "kernel.cpp").is_file()
    assert not (tmp_path / "~").exists()


def test_a_symlinked_folder_is_written_through(design, tmp_path):
    real = tmp_path / "real"
    link = tmp_path / "link"
    emit(design, "hls", real)
    os.symlink(real, link)
    emit(design, "hls", link, overwrite=True)
    assert link.is_symlink() and (real / "kernel.cpp").is_file()


def test_unknown_emit_options_and_bad_clocks_are_clear_errors(design, tmp_path):
    with pytest.raises(ValueError, match=r"unknown option\(s\) colour for emit\('hls'\); it takes: inputs"):
        emit(design, "hls", tmp_path / "x", colour="red")
    with pytest.raises(ValueError, match="unknown backend"):
        design.emit(None, tmp_path / "y")
    for clock in (float("inf"), float("nan"), -5, 0):
        with pytest.raises(ValueError, match="positive, finite number of MHz"):
            parse_options(clock_mhz=clock)
    fast = case("vecmul_8").design(clock_mhz=1e6).report()
    assert any("above what xcvu9p's fabric reaches" in w for w in fast.warnings)


def test_an_empty_batch_is_a_clear_error(design):
    empty = np.zeros((0,) + design.example_shapes[0], np.float32)
    with pytest.raises(ValueError, match="the batch is empty"):
        design.simulate(*[empty] * len(design.example_shapes))


def _variants(text: str):
    import json  # noqa: PLC0415

    data = json.loads(text)
    yield "not json {", "invalid JSON"
    yield "[" * 100000 + "]" * 100000, "invalid JSON|not an fpgalab design"
    yield json.dumps({**data, "fpgalab_design": 99}), "format version"
    yield json.dumps({k: v for k, v in data.items() if k != "kernel"}), "missing field 'kernel'"
    huge = json.loads(text)
    huge["example_shapes"][0] = [1, 10**9]
    huge["kernel"]["inputs"][0]["shape"] = [1, 10**9]
    yield json.dumps(huge), "more than"
    negative = json.loads(text)
    negative["example_shapes"][0] = [1, -8]
    yield json.dumps(negative), "below 1"
    wrong = json.loads(text)
    wrong["kernel"]["inputs"][0]["shape"] = [1, 1000]
    wrong["example_shapes"][0] = [1, 1000]
    yield json.dumps(wrong), "contracts"
    typed = json.loads(text)
    typed["kernel"]["nodes"][0]["shape"] = "abc"
    yield json.dumps(typed), "not a valid fpgalab design"


def test_a_design_loaded_from_json_is_checked_like_a_compiled_one():
    from fpgalab.design import Design  # noqa: PLC0415

    dense = case("dense_8").design()
    again = Design.from_json(dense.to_json())
    x = np.random.default_rng(0).normal(size=(4,) + dense.example_shapes[0][1:]).astype(np.float32)
    np.testing.assert_array_equal(again.simulate(x), dense.simulate(x))
    for text, message in _variants(dense.to_json()):
        with pytest.raises(ValueError, match=message):
            Design.from_json(text)


def test_top1_agreement_counts_a_tie_as_a_disagreement():
    from fpgalab.accuracy import _top1_agreement

    reference = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]])
    hardware = np.array([[-31.75, -31.75, -31.75], [0.6, 0.3, 0.1], [0.1, 0.5, 0.5]])
    agreement, ref_top = _top1_agreement(hardware, reference)
    assert list(ref_top) == [1, 0, 2]
    assert agreement == pytest.approx(1 / 3)  # only the second sample's top class is the unique hardware maximum
