"""The device library: shipped parts, aliases, user parts, validation errors, sizing rules."""

import importlib
import json
import os
import time
from pathlib import Path

import pytest

from fpgalab.parts import Device, clear_cache, list_devices, load_device

# The module itself (``fpgalab.parts`` as an attribute of the package is ``list_devices``).
devices = importlib.import_module("fpgalab.parts")

SHIPPED = ["xc7z020", "xczu9eg", "xcvu9p", "xcu250", "xcvu47p", "xcu280", "xcu55c", "1sx280", "ep4sgx530", "lfe5u-85f"]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No stray user devices from the machine running the tests; fresh caches each test."""
    monkeypatch.delenv(devices.ENV_VAR, raising=False)
    monkeypatch.setattr(devices, "USER_DIR", tmp_path / "no-user-dir")
    clear_cache()
    yield
    clear_cache()


def shipped_json(name: str) -> dict:
    return json.loads((devices.BUILTIN_DIR / f"{name}.json").read_text())


def write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# ----------------------------------------------------------------------------- shipped files


def test_every_shipped_file_loads_and_validates():
    files = sorted(p.stem for p in devices.BUILTIN_DIR.glob("*.json"))
    assert files == sorted(SHIPPED)
    for name in SHIPPED:
        dev = devices.read_device_file(devices.BUILTIN_DIR / f"{name}.json")
        assert isinstance(dev, Device) and dev.name == name
        assert dev.luts > 0 and dev.ffs > 0 and dev.dsps > 0 and dev.bram > 0
        assert dev.dsp.modes and dev.bram_block.shapes
        assert dev.clock.max_practical_mhz >= dev.clock.reference_mhz
        for key in ("resources", "logic", "dsp", "bram", "clock", "latency"):
            assert dev.sources[key].strip()
    assert [d.name for d in list_devices()] == sorted(SHIPPED)


@pytest.mark.parametrize(
    "name, luts, ffs, dsps, bram, uram",
    [
        ("xc7z020", 53_200, 106_400, 220, 280, 0),
        ("xczu9eg", 274_080, 548_160, 2_520, 1_824, 0),
        ("xcvu9p", 1_182_240, 2_364_480, 6_840, 4_320, 960),
        ("xcu250", 1_728_000, 3_456_000, 12_288, 5_376, 1_280),
        ("1sx280", 2 * 933_120, 3_732_480, 5_760, 11_721, 0),
        ("ep4sgx530", 424_960, 424_960, 128, 1_280, 0),
        ("lfe5u-85f", 83_640, 83_640, 156, 208, 0),
    ],
)
def test_capacities(name, luts, ffs, dsps, bram, uram):
    dev = load_device(name)
    assert (dev.luts, dev.ffs, dev.dsps, dev.bram, dev.uram) == (luts, ffs, dsps, bram, uram)
    assert (dev.uram_block is None) == (uram == 0)
    if dev.uram_block:
        assert "uram" in dev.sources


def test_memory_units_and_totals():
    assert load_device("xcvu9p").bram_block.kind == "RAMB18E2"
    assert load_device("pynq-z2").bram_block.kind == "RAMB18E1"
    s10 = load_device("1SX280")
    assert s10.bram_block.kind == "M20K" and s10.bram * s10.bram_block.unit_bits == 240_046_080
    s4 = load_device("de4")
    assert s4.bram_block.kind == "M9K" and [m.kind for m in s4.other_memories] == ["M144K"]
    assert s4.bram * 9216 + s4.other_memories[0].count * 147_456 == 21_233_664
    assert load_device("ecp5-85f").bram * 18 == 3744  # 3,744 Kb of EBR
    lfe = load_device("ecp5-85f")
    assert lfe.logic.lutram_luts * lfe.logic.lutram_bits_per_lut == 669_120  # "669 Kb"


def test_latencies_leflow_stratix_iv():
    lat = load_device("de4").latency
    got = (lat.float_add, lat.float_mul, lat.float_div, lat.int_to_float, lat.float_to_int, lat.float_cmp)
    assert got == (14, 11, 33, 6, 6, 1)


# ----------------------------------------------------------------------------- names and aliases


@pytest.mark.parametrize(
    "alias, name",
    [
        ("xcvu9p", "xcvu9p"),
        ("vu9p", "xcvu9p"),
        ("aws-f1", "xcvu9p"),
        ("AWS-F1", "xcvu9p"),
        ("pynq-z2", "xc7z020"),
        ("zcu102", "xczu9eg"),
        ("u250", "xcu250"),
        ("U250", "xcu250"),
        ("1SX280", "1sx280"),
        ("de4", "ep4sgx530"),
        ("ecp5-85f", "lfe5u-85f"),
        ("  Zynq-7020 ", "xc7z020"),
    ],
)
def test_aliases(alias, name):
    assert load_device(alias).name == name


def test_load_is_cached_and_device_passes_through():
    a, b = load_device("vu9p"), load_device("XCVU9P")
    assert a is b
    assert load_device(a) is a
    assert repr(a) == "Device('xcvu9p', part='xcvu9p-flgb2104-2-i')"


def test_unknown_device_lists_known_names():
    with pytest.raises(ValueError) as err:
        load_device("xc9z999")
    msg = str(err.value)
    assert "'xc9z999'" in msg
    for name in SHIPPED:
        assert name in msg
    assert "aws-f1" in msg


def test_loading_all_devices_is_fast():
    start = time.perf_counter()
    list_devices()
    assert time.perf_counter() - start < 0.05


# ----------------------------------------------------------------------------- user devices


def user_device(name="mypart", **changes) -> dict:
    data = shipped_json("xc7z020")
    data.update({"name": name, "aliases": [f"{name}-board"], **changes})
    return data


def test_user_device_via_env_path(monkeypatch, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write(second / "mine.json", user_device(resources={"luts": 1000, "ffs": 2000, "dsps": 4}))
    monkeypatch.setenv(devices.ENV_VAR, f"{first}{os.pathsep}{second}")
    dev = load_device("MyPart-Board")
    assert dev.name == "mypart" and dev.luts == 1000 and dev.path == str(second / "mine.json")
    assert "mypart" in [d.name for d in list_devices()]
    assert load_device("xcvu9p").name == "xcvu9p"  # shipped parts still there


def test_user_device_in_home_config_dir(monkeypatch, tmp_path):
    config = tmp_path / "home" / ".config" / "fpgalab" / "devices"
    config.mkdir(parents=True)
    write(config / "x.json", user_device("cfgpart"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(devices, "USER_DIR", Path("~/.config/fpgalab/devices"))
    assert load_device("cfgpart").name == "cfgpart"


def test_user_device_by_path(tmp_path):
    path = write(tmp_path / "board.json", user_device("pathpart"))
    assert load_device(str(path)).name == "pathpart"
    assert load_device(path) is load_device(str(path))
    with pytest.raises(ValueError, match="no such device file"):
        load_device(str(tmp_path / "missing.json"))


def test_new_user_file_is_seen_without_clearing_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(devices.ENV_VAR, str(tmp_path))
    assert len(list_devices()) == len(SHIPPED)
    write(tmp_path / "late.json", user_device("latepart"))
    assert load_device("latepart").name == "latepart"


def test_user_device_may_not_reuse_a_shipped_name(monkeypatch, tmp_path):
    write(tmp_path / "dup.json", user_device("copy", aliases=["vu9p"]))
    monkeypatch.setenv(devices.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match=r"dup\.json.*'vu9p'.*already used by .*xcvu9p\.json"):
        load_device("copy")


# ----------------------------------------------------------------------------- malformed files


def load_error(tmp_path, data) -> str:
    path = write(tmp_path / "bad.json", data)
    with pytest.raises(ValueError) as err:
        load_device(path)
    msg = str(err.value)
    assert str(path) in msg
    return msg


def test_missing_field(tmp_path):
    data = user_device()
    del data["resources"]["dsps"]
    msg = load_error(tmp_path, data)
    assert "missing field 'resources.dsps'" in msg and "non-negative integer" in msg


def test_missing_top_level_field(tmp_path):
    data = user_device()
    del data["latency"]
    assert "missing field 'latency'" in load_error(tmp_path, data)


def test_wrong_type(tmp_path):
    data = user_device()
    data["resources"]["luts"] = "53200"
    msg = load_error(tmp_path, data)
    assert "field 'resources.luts' must be a non-negative integer, got '53200'" in msg


def test_wrong_type_nested(tmp_path):
    data = user_device()
    data["dsp"]["modes"][0]["signed_widths"] = [25]
    assert "'dsp.modes[0].signed_widths' must be a pair of positive integers" in load_error(tmp_path, data)
    data = user_device()
    data["bram"]["shapes"][2]["mode"] = "dual"
    assert '\'bram.shapes[2].mode\' must be "tdp" or "sdp"' in load_error(tmp_path, data)
    data = user_device()
    data["latency"]["float_add"] = True
    assert "'latency.float_add' must be a non-negative integer, got True" in load_error(tmp_path, data)


def test_misspelled_field(tmp_path):
    data = user_device()
    data["resources"]["lut"] = data["resources"].pop("luts")
    assert "unknown field 'resources.lut'" in load_error(tmp_path, data)


def test_missing_source(tmp_path):
    data = user_device()
    del data["sources"]["dsp"]
    assert "missing field 'sources.dsp'" in load_error(tmp_path, data)


def test_impossible_shape(tmp_path):
    data = user_device()
    data["bram"]["shapes"][0] = {"depth": 32768, "width": 1, "mode": "tdp"}
    assert "'bram.shapes[0]' must be a shape of at most unit_bits=18432 bits" in load_error(tmp_path, data)


def test_bad_json(tmp_path):
    msg = load_error(tmp_path, '{"name": "x", ')
    assert "invalid JSON at line 1" in msg


def test_not_an_object(tmp_path):
    assert "must hold a JSON object" in load_error(tmp_path, "[1, 2]")


def test_bad_file_in_search_path_names_it(monkeypatch, tmp_path):
    write(tmp_path / "broken.json", "{")
    monkeypatch.setenv(devices.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match=r"broken\.json: invalid JSON"):
        list_devices()


# ----------------------------------------------------------------------------- multiply sizing


@pytest.mark.parametrize(
    "device, w1, w2, signed, expected",
    [
        # DSP48E2 27x18 signed (26x17 unsigned): chunks 1 + ceil((w - S) / U)
        ("xcvu9p", 16, 16, True, 1),
        ("xcvu9p", 27, 18, True, 1),
        ("xcvu9p", 18, 27, True, 1),
        ("xcvu9p", 32, 32, True, 4),  # 32 -> 27 + 5 on A, 18 + 14 on B: 2 x 2
        ("xcvu9p", 28, 18, True, 2),  # 28 > 27 on A; 28 on B is 1 + ceil(10/17) = 2 either way
        ("xcvu9p", 18, 18, False, 2),  # unsigned 18 does not fit the 17-bit unsigned B port
        ("xcvu9p", 26, 17, False, 1),
        ("xczu9eg", 44, 35, True, 4),  # 44 on A: 1 + ceil(17/26) = 2; 35 on B: 1 + ceil(17/17) = 2
        # DSP48E1 25x18
        ("xc7z020", 25, 18, True, 1),
        ("xc7z020", 26, 18, True, 2),
        ("xc7z020", 32, 32, True, 4),
        ("xc7z020", 35, 35, True, 4),
        # Stratix 10: two 18x19 per block or one 27x27
        ("1sx280", 16, 16, True, 0.5),
        ("1sx280", 18, 19, True, 0.5),
        ("1sx280", 27, 27, True, 1),
        ("1sx280", 32, 32, True, 2),  # four 18x19 partial products = two blocks
        # Stratix IV: 8 x 9x9, 6 x 12x12, 4 x 18x18, 2 x 36x36 per block
        ("ep4sgx530", 8, 8, True, 0.125),
        ("ep4sgx530", 18, 18, True, 0.25),
        ("ep4sgx530", 32, 32, True, 0.5),
        # ECP5 MULT18X18D, signed or unsigned ports
        ("lfe5u-85f", 18, 18, False, 1),
        ("lfe5u-85f", 32, 32, True, 4),
        ("lfe5u-85f", 36, 18, True, 2),
    ],
)
def test_dsps_for_multiply(device, w1, w2, signed, expected):
    assert load_device(device).dsps_for_multiply(w1, w2, signed=signed) == expected


@pytest.mark.parametrize(
    "device, w1, w2, expected",
    [
        ("xcvu9p", 8, 8, False),
        ("xcvu9p", 10, 10, False),
        ("xcvu9p", 11, 10, True),
        ("xcvu9p", 16, 16, True),
        ("xcvu9p", 32, 1, False),
        ("xc7z020", 4, 24, True),
        ("lfe5u-85f", 2, 2, True),
        ("lfe5u-85f", 1, 18, False),
    ],
)
def test_multiply_uses_dsp(device, w1, w2, expected):
    assert load_device(device).multiply_uses_dsp(w1, w2) is expected


def test_bad_widths():
    dev = load_device("xcvu9p")
    with pytest.raises(ValueError):
        dev.dsps_for_multiply(0, 8)
    with pytest.raises(ValueError):
        dev.multiply_uses_dsp(8, -1)


# ----------------------------------------------------------------------------- memory sizing


@pytest.mark.parametrize(
    "depth, width, expected",
    [
        (1024, 16, 1),
        (2048, 16, 2),
        (512, 36, 1),
        (16384, 1, 1),
        (100, 8, 1),
        (4096, 32, 8),
        (1024, 36, 2),
        (2048, 20, 3),
        (1, 1, 1),
        (32768, 1, 2),
    ],
)
def test_bram18_xilinx(depth, width, expected):
    for name in ("xc7z020", "xcvu9p", "xcu250"):
        assert load_device(name).bram18_for(depth, width) == expected


def test_bram18_true_dual_port_excludes_512x36():
    dev = load_device("xczu9eg")
    assert dev.bram18_for(512, 36) == 1
    assert dev.bram18_for(512, 36, true_dual_port=True) == 2


@pytest.mark.parametrize(
    "device, depth, width, expected",
    [
        ("1sx280", 2048, 10, 1),
        ("1sx280", 1024, 20, 1),
        ("1sx280", 512, 40, 1),
        ("1sx280", 1024, 32, 2),
        ("1sx280", 4096, 32, 8),  # 8 x (512 x 40), or 4 columns of 2 x (2K x 10)
        ("ep4sgx530", 1024, 9, 1),
        ("ep4sgx530", 256, 36, 1),
        ("ep4sgx530", 1024, 32, 4),
        ("lfe5u-85f", 1024, 18, 1),
        ("lfe5u-85f", 512, 36, 1),
        ("lfe5u-85f", 4096, 32, 8),
    ],
)
def test_bram_other_vendors(device, depth, width, expected):
    assert load_device(device).bram_for(depth, width) == expected


def test_m144k_and_uram():
    s4 = load_device("de4")
    assert s4.other_memories[0].blocks_for(4096, 36) == 1
    assert s4.other_memories[0].blocks_for(2048, 72) == 1
    vu9p = load_device("vu9p")
    assert vu9p.uram_for(4096, 72) == 1 and vu9p.uram_for(8192, 64) == 2 and vu9p.uram_for(4096, 128) == 2
    with pytest.raises(ValueError, match="no UltraRAM"):
        load_device("zcu102").uram_for(4096, 72)


def test_lutram():
    assert load_device("xcvu9p").lutram_luts_for(64, 8) == 8
    assert load_device("xcvu9p").lutram_luts_for(128, 8) == 16
    assert load_device("ecp5-85f").lutram_luts_for(16, 4) == 4


def test_bad_memory_size():
    with pytest.raises(ValueError):
        load_device("xcvu9p").bram_for(0, 8)
