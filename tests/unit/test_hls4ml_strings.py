"""hls4ml's precision strings and Vivado part names, read into fpgalab's types and parts and written back."""

from __future__ import annotations

import pytest

from fpgalab.hls4ml import device_for_part, hls4ml_type_text, parse_hls4ml_type, part_for_device
from fpgalab.ir.types import FixedType
from fpgalab.options import AUTO


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fixed<16,6>", FixedType(16, 6)),
        ("ufixed<8,0>", FixedType(8, 0, False)),
        ("ap_fixed<16,6,AP_RND_CONV,AP_SAT>", FixedType(16, 6, True, "AP_RND_CONV", "AP_SAT")),
        ("fixed<18,8,RND,SAT,0>", FixedType(18, 8, True, "AP_RND", "AP_SAT")),
        ("fixed<18,8,TRN,WRAP,0>", FixedType(18, 8)),
        ("int<8>", FixedType(8, 8)),
        ("uint<4>", FixedType(4, 4, False)),
        ("ap_ufixed<10,0,AP_TRN,AP_SAT>", FixedType(10, 0, False, "AP_TRN", "AP_SAT")),
        ("auto", AUTO),
        (" Auto ", AUTO),
    ],
)
def test_precision_strings_read_as_hls4ml_reads_them(text, expected):
    assert parse_hls4ml_type(text) == expected


@pytest.mark.parametrize(
    "text",
    ["fixed<16,6>", "ufixed<8,0>", "ap_fixed<16,6,AP_RND_CONV,AP_SAT>", "fixed<18,8,RND,SAT,0>", "int<8>", "auto"],
)
def test_precision_strings_come_back_as_written(text):
    assert hls4ml_type_text(parse_hls4ml_type(text), given=text) == text


def test_types_are_written_in_hls4ml_spelling_without_a_given_string():
    assert hls4ml_type_text(FixedType(16, 6)) == "fixed<16,6>"
    assert hls4ml_type_text(FixedType(8, 0, False)) == "ufixed<8,0>"
    assert hls4ml_type_text(FixedType(18, 8, True, "AP_RND", "AP_SAT")) == "fixed<18,8,RND,SAT,0>"
    assert hls4ml_type_text(FixedType(8, 8)) == "int<8>"
    assert hls4ml_type_text(AUTO) == "auto"
    # a given string of another type is not kept
    assert hls4ml_type_text(FixedType(8, 3), given="fixed<16,6>") == "fixed<8,3>"


@pytest.mark.parametrize(
    "text, message",
    [
        ("fixed16,6", "unknown precision"),
        ("float", "unknown precision"),
        ("fixed<16>", "2 to 5 arguments"),
        ("fixed<16,6,RND,SAT,3>", "saturation bits"),
        ("fixed<16,6,ROUND>", "unknown rounding mode 'ROUND'"),
        ("fixed<16,6,RND,CLIP>", "unknown saturation mode 'CLIP'"),
        ("int<8,2>", "one argument"),
        ("fixed<0,0>", "width must be"),
        (16, "must be a string"),
    ],
)
def test_bad_precision_strings_are_one_clear_error(text, message):
    with pytest.raises(ValueError, match=message):
        parse_hls4ml_type(text, "where")


@pytest.mark.parametrize(
    "part, device",
    [
        ("xcu250-figd2104-2L-e", "xcu250"),
        ("xcvu9p-flga2104-2L-e", "xcvu9p"),
        ("xcvu9p-flgb2104-2-i", "xcvu9p"),
        ("xczu9eg-ffvb1156-2-e", "xczu9eg"),
        ("xc7z020clg400-1", "xc7z020"),
        ("xcu55c-fsvh2892-2L-e", "xcu55c"),
        ("xcu280-fsvh2892-2L-e", "xcu280"),
        ("XCU250-FIGD2104-2L-E", "xcu250"),
        ("xcu250", "xcu250"),
    ],
)
def test_vivado_part_strings_map_onto_fpgalab_parts(part, device):
    assert device_for_part(part) == device


@pytest.mark.parametrize("part", ["xcvu13p-flga2577-2-e", "xcu250x-figd2104-2L-e", "xcu2500-figd2104", "", "xc7"])
def test_unknown_parts_are_an_error_listing_the_known_ones(part):
    with pytest.raises(ValueError, match="xcu250-figd2104-2L-e"):
        device_for_part(part)


def test_the_part_given_comes_back_and_a_device_alone_gives_its_file_part():
    assert part_for_device("xcvu9p", given="xcvu9p-flga2104-2L-e") == "xcvu9p-flga2104-2L-e"
    assert part_for_device("xcu250") == "xcu250-figd2104-2L-e"
    assert part_for_device("xcu250", given="xcvu9p-flga2104-2L-e") == "xcu250-figd2104-2L-e"
