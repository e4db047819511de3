"""The ``tables`` option: fpgalab's or hls4ml's table semantics, hls4ml's entries and index formula."""

from __future__ import annotations

import numpy as np
import pytest

from fpgalab.ir.types import FixedType
from fpgalab.options import parse_options
from fpgalab.sim.hls4ml_tables import TABLE_T, activation_tables, softmax_tables
from fpgalab.sim.tables import TableSpec, table_index, table_mantissas


def test_hls4ml_tables_are_the_default_of_hls4ml_architectures_only():
    assert parse_options().table_style == "fpgalab"
    assert parse_options(io="parallel").table_style == "hls4ml"
    assert parse_options(io="stream").table_style == "hls4ml"
    assert parse_options(io="parallel", tables="fpgalab").table_style == "fpgalab"
    assert parse_options(tables="hls4ml").tables["sigmoid"].style == "hls4ml"
    with pytest.raises(ValueError, match="tables must be 'fpgalab', 'hls4ml'"):
        parse_options(tables="vivado")


def test_hls4ml_style_options_survive_to_dict():
    options = parse_options(io="parallel")
    again = parse_options(**options.to_dict())
    assert again.tables == options.tables and again.table_style == "hls4ml"


def test_sigmoid_index_truncates_toward_zero_and_entries_sit_at_left_edges():
    spec = activation_tables()["sigmoid"]  # hls4ml: index = trunc(x * 1024 / 16) + 512
    frac = 10
    x = np.array([-1.5 / 64, -0.5 / 64, 0.0, 0.5 / 64, 1.5 / 64, -9.0, 9.0])
    index = table_index(np.round(x * 2**frac).astype(np.int64), frac, spec)
    assert index.tolist() == [511, 512, 512, 512, 513, 0, 1023]
    rom = table_mantissas(spec, TABLE_T)
    assert rom[512] == 2**9  # sigmoid(0) = 0.5 at entry 512, the left edge of its bin


def test_elu_table_reads_hls4ml_entries_in_reverse():
    spec = activation_tables()["expm1"]  # hls4ml: index = trunc(x * 1024 / -8), entry k = exp(-k / 128) - 1
    frac = 10
    for value, k in [(-0.5 / 128, 0), (-1.0 / 128, 1), (-1.5 / 128, 1), (-20.0, 1023)]:
        index = int(table_index(np.array([round(value * 2**frac)]), frac, spec)[0])
        assert index == spec.size - 1 - k


def test_softmax_tables_follow_the_input_type():
    exp, reciprocal = softmax_tables(FixedType(16, 6))
    assert (exp.size, exp.step, exp.hi) == (1024, 1 / 32, 1 / 32)  # inp_norm_t = ap_ufixed<15,5>, top 10 bits
    assert (reciprocal.size, reciprocal.step) == (1024, 0.25)  # inv_inp_t = ap_fixed<18,8>, top 10 bits
    small, _ = softmax_tables(FixedType(8, 3))
    assert small.size == 128  # at most 2**(W-1) entries for a signed input


def test_hls4ml_style_needs_a_power_of_two_span():
    with pytest.raises(ValueError, match="power of two"):
        TableSpec("sigmoid", 1024, -8.0, 4.0, "hls4ml")


def test_softmax_table_sizes_are_what_hls4ml_sets():
    from fpgalab.sim.hls4ml_tables import softmax_table_sizes

    assert softmax_table_sizes(16) == (1024, 1024)
    assert softmax_table_sizes(8) == (128, 256)  # FixSoftmaxTableSize: 2**8; stable's exp table: 2**(8-1)
    assert softmax_table_sizes(8, signed=False) == (256, 256)


def test_softmax_tables_are_fitted_once_and_follow_a_given_table_size(monkeypatch):
    import fpgalab.passes.hls4ml_semantics as semantics
    from fpgalab.sim.tables import DEFAULT_TABLES

    monkeypatch.setattr(semantics, "softmax_input_type", lambda kernel: FixedType(8, 3))  # a softmax over ap_fixed<8,3>
    first = semantics.hls4ml_tables(None, dict(DEFAULT_TABLES))
    assert (first["exp"].size, first["reciprocal"].size) == (128, 256)
    assert semantics.hls4ml_tables(None, first) == first
    smaller = semantics.hls4ml_tables(None, {**DEFAULT_TABLES, "exp": TableSpec("exp", 64, -8.0, 8.0)})
    assert (smaller["exp"].size, smaller["reciprocal"].size) == (64, 64)
