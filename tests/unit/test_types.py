"""parse_type: round trips of the C++ spelling and clear errors for malformed precisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fpgalab.ir.types import FLOAT32, MAX_FIXED_WIDTH, OVERFLOW_MODES, QUANT_MODES, FixedType, parse_type

fixed_types = st.builds(
    lambda w, i, s, q, o: FixedType(w, i, s, q, "AP_SAT" if (s and w == 1 and o == "AP_SAT_SYM") else o),
    st.integers(1, MAX_FIXED_WIDTH),
    st.integers(-40, 72),
    st.booleans(),
    st.sampled_from(QUANT_MODES),
    st.sampled_from(OVERFLOW_MODES),
)


@given(fixed_types)
def test_str_round_trips(t):
    assert parse_type(str(t)) == t
    assert parse_type(t) is t


@given(fixed_types)
def test_spaced_and_explicit_spelling(t):
    name = "ap_fixed" if t.signed else "ap_ufixed"
    text = f"  {name} < {t.width} , {t.integer} , {t.quant} , {t.overflow} , 0 > "
    assert parse_type(text) == t


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ap_fixed<16,6>", FixedType(16, 6)),
        ("ap_ufixed<8,-2,AP_RND_CONV>", FixedType(8, -2, False, "AP_RND_CONV")),
        ("ap_fixed<18,8,AP_RND,AP_SAT>", FixedType(18, 8, True, "AP_RND", "AP_SAT")),
        ("ap_fixed<4,9>", FixedType(4, 9)),
        ("ap_fixed<1,1>", FixedType(1, 1)),
        ("ap_fixed<+16,6>", FixedType(16, 6)),
        ("ap_int<8>", FixedType(8, 8)),
        ("ap_uint< 12 >", FixedType(12, 12, False)),
    ],
)
def test_examples(text, expected):
    t = parse_type(text)
    assert t == expected
    assert t.frac == t.width - t.integer


def test_integers_print_as_ap_int():
    assert str(FixedType(8, 8)) == "ap_int<8>"
    assert str(FixedType(12, 12, False)) == "ap_uint<12>"
    assert str(FixedType(8, 8, True, "AP_TRN", "AP_SAT")) == "ap_fixed<8,8,AP_TRN,AP_SAT>"
    assert parse_type(str(FixedType(5, 5, False))) == FixedType(5, 5, False)


def test_str_omits_defaults():
    assert str(FixedType(16, 6)) == "ap_fixed<16,6>"
    assert str(FixedType(16, 6, False, "AP_RND")) == "ap_ufixed<16,6,AP_RND>"
    assert str(FixedType(16, 6, True, "AP_TRN", "AP_SAT")) == "ap_fixed<16,6,AP_TRN,AP_SAT>"


@pytest.mark.parametrize("text", ["float32", "float", "f32", " FLOAT32 "])
def test_float_spellings(text):
    assert parse_type(text) is FLOAT32


def test_limits_and_ranges():
    t = FixedType(8, 3)
    assert (t.min_int, t.max_int, t.lsb, t.max_value, t.min_value) == (-128, 127, 2**-5, 127 / 32, -4.0)
    u = FixedType(8, 3, signed=False)
    assert (u.min_int, u.max_int) == (0, 255)


@pytest.mark.parametrize(
    "text, allowed",
    [
        ("", "ap_fixed<W,I>"),
        ("ap_int<8,2>", "ap_fixed<W,I>"),
        ("ap_int<65>", "width must be 1..64"),
        ("AP_FIXED<16,6>", "ap_fixed<W,I>"),
        ("ap_fixed<16,6>>", "ap_fixed<W,I>"),
        ("ap_fixed<16>", "2 to 5 template arguments"),
        ("ap_fixed<1,2,AP_RND,AP_SAT,0,0>", "2 to 5 template arguments"),
        ("ap_fixed<a,b>", "whole numbers"),
        ("ap_fixed<16.0,6>", "whole numbers"),
        ("ap_fixed<0,0>", f"1..{MAX_FIXED_WIDTH} bits"),
        ("ap_fixed<-3,0>", f"1..{MAX_FIXED_WIDTH} bits"),
        ("ap_fixed<65,1>", f"1..{MAX_FIXED_WIDTH} bits"),
        ("ap_fixed<16,6,AP_FOO>", "allowed: AP_TRN, AP_TRN_ZERO"),
        ("ap_fixed<16,6,ap_rnd>", "allowed: AP_TRN, AP_TRN_ZERO"),
        ("ap_fixed<16,6,,>", "allowed: AP_TRN, AP_TRN_ZERO"),
        ("ap_fixed<16,6,AP_RND,AP_BAR>", "allowed: AP_WRAP, AP_SAT"),
        ("ap_fixed<16,6,AP_RND,AP_SAT,3>", "only 0"),
        ("ap_fixed<1,1,AP_TRN,AP_SAT_SYM>", "at least 2 bits"),
    ],
)
def test_malformed_strings_say_what_is_allowed(text, allowed):
    with pytest.raises(ValueError) as err:
        parse_type(text)
    assert allowed in str(err.value)
    assert repr(text) in str(err.value)


def test_non_string_is_rejected_with_help():
    with pytest.raises(ValueError, match="must be a string.*ap_fixed<W,I>"):
        parse_type(42)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(width=0, integer=0), "width must be 1.."),
        (dict(width=8, integer=3, quant="AP_FOO"), "allowed: AP_TRN"),
        (dict(width=8, integer=3, overflow="AP_FOO"), "allowed: AP_WRAP"),
        (dict(width=1, integer=1, overflow="AP_SAT_SYM"), "at least 2 bits"),
    ],
)
def test_fixed_type_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FixedType(**kwargs)
