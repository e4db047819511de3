"""Operator costs: hand-computed cases for every function, the Yosys-flow rules, and the sources."""

import inspect
import math

import pytest

from fpgalab import costs
from fpgalab.costs.operators import Cost, Resources
from fpgalab.parts import load_device


@pytest.fixture(scope="module")
def vu9p():
    return load_device("xcvu9p")


@pytest.fixture(scope="module")
def z7020():
    return load_device("xc7z020")


@pytest.fixture(scope="module")
def ecp5():
    return load_device("lfe5u-85f")


@pytest.fixture(scope="module")
def s10():
    return load_device("1sx280")


def res(cost) -> tuple:
    r = cost.resources if isinstance(cost, Cost) else cost
    return (r.lut, r.ff, r.dsp, r.bram, r.uram)


# ----------------------------------------------------------------------------- Resources and Cost


def test_resources_arithmetic():
    a, b = Resources(lut=10, ff=20, dsp=1), Resources(lut=5, bram=2, uram=1)
    assert a + b == Resources(15, 20, 1, 2, 1)
    assert sum([a, b]) == a + b  # sum() starts from 0
    assert a * 3 == 3 * a == a.scaled(3) == Resources(30, 60, 3)
    assert Resources(0.5, 0, 0.5, 0.25, 0) * 2 == Resources(1, 0, 1, 0.5, 0)
    assert a.as_dict() == {"lut": 10, "ff": 20, "dsp": 1, "bram": 0, "uram": 0}
    with pytest.raises(TypeError):
        a * "2"


def test_resources_rounding():
    r = Resources(lut=10.5, ff=7.4, dsp=0.5, bram=2.0000000001, uram=0.01).rounded()
    assert res(r) == (11, 7, 1, 2, 1)
    assert all(isinstance(x, int) for x in res(r))
    assert res(Resources(dsp=2.0, bram=3).rounded()) == (0, 0, 2, 3, 0)


def test_utilization_fractions(vu9p, z7020):
    used = Resources(lut=591120, ff=236448, dsp=684, bram=4320, uram=96).utilization(vu9p)
    assert used == pytest.approx({"luts": 0.5, "ffs": 0.1, "dsps": 0.1, "bram": 1.0, "uram": 0.1})
    # BRAM counts the part's own unit: a RAMB18 of xc7z020's 280
    assert Resources(bram=28).utilization(z7020)["bram"] == pytest.approx(0.1)
    assert Resources().utilization(z7020)["uram"] == 0.0
    assert Resources(uram=1).utilization(z7020)["uram"] == math.inf


def test_cost_reads_like_resources(vu9p):
    add = costs.adder(16, vu9p)
    assert isinstance(add, Cost) and add.lut == 16 and add.ff == 0
    assert (add * 4).lut == 64 and "4 x (16-bit add" in (add * 4).formula
    both = add + costs.register(16)
    assert res(both) == (16, 16, 0, 0, 0) and " + " in both.formula
    total = Resources(0, 0, 0, 0, 0) + add * 2 + costs.register(8)  # how resources.py totals
    assert isinstance(total, Resources) and res(total) == (32, 8, 0, 0, 0)


# ----------------------------------------------------------------------------- logic


def test_adder_and_subtractor(vu9p, ecp5, s10):
    assert res(costs.adder(16, vu9p)) == (16, 0, 0, 0, 0)
    assert costs.adder(7, ecp5).lut == 8  # 4 CCU2C of 2 LUT4
    assert costs.adder(16, s10).lut == 16
    assert costs.subtractor(16, vu9p).lut == 17
    assert costs.subtractor(16, ecp5).lut == 16
    with pytest.raises(ValueError):
        costs.adder(0, vu9p)


def test_comparator(vu9p, ecp5):
    assert costs.comparator(16, vu9p).lut == 11  # ceil(2 * 16 / 3)
    assert costs.comparator(8, vu9p).lut == 6
    assert costs.comparator(16, ecp5).lut == 16
    assert costs.comparator(16, vu9p, "eq").lut == 10  # 8 + 2
    assert costs.comparator(32, vu9p, "eq").lut == 20
    assert costs.comparator(16, ecp5, "eq").lut == 11  # 8 + 3
    with pytest.raises(ValueError):
        costs.comparator(8, vu9p, "ne")


def test_mux(vu9p, ecp5):
    assert costs.mux(16, 2, vu9p).lut == 16
    assert costs.mux(16, 4, vu9p).lut == 16  # a LUT6 is a 4:1 mux
    assert costs.mux(16, 8, vu9p).lut == 48  # round(0.47 * 7) = 3 per bit
    assert costs.mux(16, 16, vu9p).lut == 112
    assert costs.mux(16, 4, ecp5).lut == 48  # 3 LUT4 per bit
    assert costs.mux(16, 1, vu9p).lut == 0
    with pytest.raises(ValueError):
        costs.mux(16, 0, vu9p)


def test_register():
    assert res(costs.register(24)) == (0, 24, 0, 0, 0)


# ----------------------------------------------------------------------------- multipliers


def test_multiplier_hls_flow(vu9p, z7020, ecp5, s10):
    m = costs.multiplier(16, 16, True, vu9p)
    assert res(m) == (0, 0, 1, 0, 0)
    assert "DSP48E2" in m.formula and "16 vs 27" in m.formula
    assert costs.multiplier(27, 18, True, vu9p).dsp == 1
    assert costs.multiplier(32, 32, True, vu9p).dsp == 4
    assert costs.multiplier(25, 18, True, z7020).dsp == 1
    assert costs.multiplier(18, 18, False, z7020).dsp == 2  # 17-bit unsigned B port
    # both operands <= 10 bits: a LUT array multiplier, 2.4 x (8 - 1) x 8 LUT6
    small = costs.multiplier(8, 8, True, vu9p)
    assert res(small) == (134, 0, 0, 0, 0) and "LUT array" in small.formula
    assert costs.multiplier(8, 8, False, vu9p).lut == 112
    assert costs.multiplier(8, 1, True, vu9p).lut == 8  # an AND per bit
    assert costs.multiplier(16, 16, True, s10).dsp == 0.5  # two 18x19 per block
    assert costs.multiplier(8, 8, True, ecp5).dsp == 1
    wide = costs.multiplier(24, 24, True, ecp5)  # partial products summed in CCU2C
    assert wide.dsp == 4 and wide.lut == 66


def test_multiplier_legacy_call(vu9p):
    assert costs.multiplier(16, 16, vu9p) == costs.multiplier(16, 16, True, vu9p)
    with pytest.raises(TypeError):
        costs.multiplier(16, 16, True)


def test_multiplier_yosys_flow(vu9p, z7020, ecp5, s10):
    """Hand-derived from mul2dsp.v (CALIBRATION.md has the matching Yosys runs)."""

    def y(w1, w2, device, signed=True, **kw):
        return res(costs.multiplier(w1, w2, signed, device, flow="yosys", **kw))[:3]

    assert y(8, 8, vu9p) == (0, 0, 1)  # product of 16 >= 9 bits: a DSP, unlike HLS
    assert y(4, 5, vu9p) == (0, 0, 1)
    assert y(3, 5, vu9p) == (24, 0, 0)  # 8-bit product stays in LUTs
    assert y(24, 24, vu9p) == (31, 0, 2)  # adder of 48 - 17 bits
    assert y(24, 24, z7020) == (0, 0, 2)  # PCIN >> 17 cascade on DSP48E1
    assert y(27, 27, z7020) == (37, 0, 4)
    assert y(32, 32, vu9p) == (110, 0, 4)  # adders 47 + 33 + 30
    assert y(32, 32, z7020) == (47, 0, 4)
    assert y(18, 18, vu9p, signed=False) == (19, 0, 2)  # 19x19 signed
    assert y(18, 18, ecp5, signed=False) == (0, 0, 1)
    assert y(24, 24, ecp5) == (66, 0, 4)  # 33 CCU2C
    assert y(16, 16, vu9p, pipeline_registers=True) == (0, 64, 1)  # xcup packs no registers
    assert y(16, 16, z7020, pipeline_registers=True) == (0, 0, 1)
    assert costs.multiplier(16, 16, True, vu9p, pipeline_registers=True).ff == 0  # Vivado packs them
    assert y(8, 8, vu9p, product_width=8) == (134, 0, 0)  # truncated 8-bit product
    with pytest.raises(ValueError):
        costs.multiplier(16, 16, True, s10, flow="yosys")
    with pytest.raises(ValueError):
        costs.multiplier(16, 16, True, vu9p, flow="vivado")


def test_soft_multiplier_luts(vu9p, ecp5):
    assert costs.soft_multiplier_luts(16, 16, True, vu9p) == 576  # 2.4 x 15 x 16
    assert costs.soft_multiplier_luts(16, 16, True, ecp5) == 1344  # 5.6 x 15 x 16


def test_mac(vu9p, z7020, ecp5):
    assert res(costs.mac(16, 16, 40, vu9p)) == (0, 0, 1, 0, 0)  # post-adder and P register
    assert res(costs.mac(16, 16, 40, vu9p, flow="yosys")) == (40, 40, 1, 0, 0)  # xcup: nothing packed
    assert res(costs.mac(16, 16, 40, z7020, flow="yosys")) == (0, 0, 1, 0, 0)
    assert res(costs.mac(16, 16, 64, vu9p)) == (64, 64, 1, 0, 0)  # wider than the 48-bit ALU
    assert res(costs.mac(16, 16, 40, ecp5)) == (80, 40, 1, 0, 0)  # CCU2C adder + restart mux
    assert res(costs.mac(16, 16, 40, ecp5, clear=False)) == (40, 40, 1, 0, 0)
    assert res(costs.mac(8, 8, 24, vu9p)) == (134 + 24, 24, 0, 0, 0)  # LUT multiplier + adder


# ----------------------------------------------------------------------------- memories


def test_memory_ecp5_collision_logic(ecp5):
    # Yosys emulates read-old-data between the DP16KD's ports: W + log2(d) + 8 LUT4, 2W + log2(d) + 2 FF
    assert res(costs.memory(1024, 16, "bram", ecp5)) == (34, 44, 0, 1, 0)
    assert res(costs.memory(1024, 16, "bram", ecp5, no_rw_check=True)) == (0, 0, 0, 1, 0)
    assert res(costs.rom(1024, 16, ecp5)) == (0, 0, 0, 1, 0)


def test_memory_bram_and_uram(vu9p, z7020):
    assert res(costs.memory(1024, 16, "bram", vu9p)) == (0, 0, 0, 1, 0)  # one RAMB18 (1K x 18)
    assert costs.memory(2048, 16, "bram", vu9p).bram == 2
    assert costs.memory(512, 36, "bram", vu9p).bram == 1  # simple dual port 512 x 36
    assert costs.memory(512, 36, "bram", vu9p, true_dual_port=True).bram == 2
    assert costs.memory(4096, 32, "bram", z7020).bram == 8
    assert res(costs.memory(4096, 72, "uram", vu9p)) == (0, 0, 0, 0, 1)
    with pytest.raises(ValueError):
        costs.memory(4096, 72, "uram", z7020)


def test_memory_lutram_and_registers(vu9p, z7020, ecp5):
    assert res(costs.memory(64, 16, "lutram", vu9p)) == (24, 16, 0, 0, 0)  # 3 RAM64M8
    assert res(costs.memory(32, 16, "lutram", z7020)) == (12, 16, 0, 0, 0)  # 3 RAM32M
    assert costs.memory(128, 16, "lutram", z7020).lut == 66  # 2 banks of 6 RAM64M + 16 + 2
    assert costs.memory(64, 16, "lutram", vu9p, ports=1).lut == 16  # RAM64X1S per bit
    assert costs.memory(32, 16, "lutram", ecp5).lut == 32 + 16 + 2  # 8 DPR16X4, a 2:1 mux per bit, 2 enables
    regs = costs.memory(8, 16, "reg", vu9p)  # fpgalab's storage name "reg"
    assert res(regs) == (48 + 8, 128, 0, 0, 0)
    with pytest.raises(ValueError):
        costs.memory(8, 16, "flash", vu9p)
    assert costs.memory(64, 16, "reg", vu9p, rom=True) == costs.rom(64, 16, vu9p, "logic")


def test_auto_storage(vu9p, z7020, ecp5, s10):
    assert costs.auto_storage(128, 16, vu9p) == "lutram"  # LUTRAM cost 82 < RAMB18 129
    assert costs.auto_storage(256, 16, vu9p) == "bram"
    assert costs.auto_storage(192, 16, vu9p) == "lutram"  # 127.5 < 129 on xcup ...
    assert costs.auto_storage(192, 16, z7020) == "bram"  # ... 145.5 on xc7
    assert costs.auto_storage(1, 16, vu9p) == "registers"
    assert costs.auto_storage(1024, 8, vu9p, read_only=True) == "logic"  # 8 Kbit / 64 < 129
    assert costs.auto_storage(1024, 16, vu9p, read_only=True) == "bram"
    assert costs.auto_storage(64, 16, ecp5) == "lutram"
    assert costs.auto_storage(128, 16, ecp5) == "bram"
    assert costs.auto_storage(128, 16, ecp5, read_only=True) == "logic"  # tie 128 = 128: logic
    assert costs.auto_storage(256, 16, ecp5, read_only=True) == "bram"
    assert costs.auto_storage(16, 16, s10) == "lutram"  # one MLAB
    assert costs.auto_storage(1024, 16, s10) == "bram"
    assert costs.memory(1024, 16, "auto", vu9p).bram == 1


def test_rom(vu9p, ecp5):
    assert res(costs.rom(64, 16, vu9p)) == (16, 16, 0, 0, 0)  # one LUT6 per bit
    assert costs.rom(256, 8, vu9p).lut == 32  # 4 LUT6 + MUXF7/F8 per bit
    assert costs.rom(1024, 8, vu9p).lut == 20 * 8  # beyond 256 words: 1.25 x 16 per bit
    assert res(costs.rom(1024, 16, vu9p)) == (0, 0, 0, 1, 0)
    assert costs.rom(64, 16, ecp5).lut == 64  # 4 LUT4 per bit
    assert res(costs.rom(1, 16, vu9p)) == (0, 0, 0, 0, 0)
    assert costs.rom(512, 16, vu9p, "bram").bram == 1
    assert costs.table_rom(1024, 18, vu9p) == costs.rom(1024, 18, vu9p)


def test_rom_of_a_few_words(vu9p):
    # up to 4 words a bit column is one of 2^depth - 2 non-constant functions, and equal columns merge
    assert res(costs.rom(2, 16, vu9p)) == (0, 2, 0, 0, 0)  # the address bit or its inverse: no LUT
    assert res(costs.rom(4, 16, vu9p)) == (14, 14, 0, 0, 0)  # 2^4 - 2 = 14 functions of 2 address bits
    assert res(costs.rom(4, 8, vu9p)) == (8, 8, 0, 0, 0)
    assert res(costs.rom(8, 16, vu9p)) == (16, 16, 0, 0, 0)  # 8 words: one LUT per bit again


def test_unregistered_rom(vu9p):
    assert res(costs.rom(64, 16, vu9p, registered=False)) == (16, 0, 0, 0, 0)
    assert res(costs.rom(1024, 16, vu9p, "logic", registered=False)) == (20 * 16, 0, 0, 0, 0)
    with pytest.raises(ValueError, match="cannot be in bram"):
        costs.rom(1024, 16, vu9p, "bram", registered=False)


def test_fifo(vu9p, ecp5):
    srl = costs.fifo(16, 8, vu9p)
    assert res(srl) == (8 + 11, 6, 0, 0, 0) and "SRL" in srl.formula
    assert costs.fifo(64, 8, vu9p).lut == 16 + 15
    deep = costs.fifo(512, 16, vu9p)
    assert res(deep) == (2 * 5 + 10 + 2 * 7, 2 * 9 + 10, 0, 1, 0)  # incrementers, count, 2 flags
    assert costs.fifo(16, 8, ecp5).lut > 0 and "SRL" not in costs.fifo(16, 8, ecp5).formula
    with pytest.raises(ValueError):
        costs.fifo(16, 8, ecp5, style="srl")


# ----------------------------------------------------------------------------- float, control, tables


def test_float_op(vu9p, z7020, ecp5, s10):
    assert res(costs.float_op("add", z7020)) == (390, 205, 2, 0, 0)
    assert res(costs.float_op("add", vu9p)) == (226, 177, 2, 0, 0)
    assert costs.float_op("sub", z7020) == costs.float_op("add", z7020)
    assert costs.float_op("mul", vu9p).dsp == 3
    assert costs.float_op("div", vu9p).dsp == 0
    assert res(costs.float_op("add", s10)) == (0, 0, 1, 0, 0)  # hard IEEE-754 adder
    assert costs.float_op("mul", ecp5).dsp == 4  # 24x24 mantissa on 18x18
    assert costs.float_op("add", ecp5).dsp == 0
    minmax = costs.float_op("minmax", vu9p)
    assert minmax.resources == costs.float_op("cmp", vu9p).resources + costs.mux(32, 2, vu9p).resources
    assert costs.float_operator is costs.float_op
    for kind in costs.FLOAT_OPS:
        assert costs.float_op(kind, vu9p).formula
    with pytest.raises(ValueError):
        costs.float_op("atan2", vu9p)


def test_control(vu9p, ecp5):
    assert res(costs.loop_counter(28, vu9p)) == (4, 5, 0, 0, 0)  # 5 bits, ceil(0.75 x 5)
    assert res(costs.loop_counter(1, vu9p)) == (0, 0, 0, 0, 0)
    assert res(costs.loop_counter(5, ecp5)) == (6, 3, 0, 0, 0)
    assert res(costs.fsm(4, vu9p)) == (4, 4, 0, 0, 0)
    ctl = costs.control([28, 5], 3, vu9p)
    assert res(ctl) == (4 + 3 + 3, 5 + 3 + 3, 0, 0, 0)
    with pytest.raises(TypeError):
        costs.control(2, 3, vu9p)


def test_table_lookup(vu9p, ecp5):
    t = costs.table_lookup(10, 1024, 18, vu9p)
    assert res(t) == (11, 0, 0, 1, 0)  # offset and clamp fold into 11 LUT; the ROM is a RAMB18
    assert costs.table_lookup(10, 1024, 18, ecp5).lut == 10 + 14  # CCU2C offset + clamp
    small = costs.table_lookup(6, 64, 8, vu9p)
    assert res(small) == (7 + 8, 8, 0, 0, 0)  # 64 x 8 ROM in LUTs
    # fpgalab's Verilog reads the table in the cycle its index is ready: LUTs at any size, no register
    assert res(costs.table_lookup(10, 1024, 18, vu9p, flow="yosys")) == (11 + 20 * 18, 0, 0, 0, 0)


# ----------------------------------------------------------------------------- sources

PUBLIC = [name for name in costs.__all__ if inspect.isfunction(getattr(costs, name))]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_cost_function_names_its_source(name):
    doc = inspect.getdoc(getattr(costs, name)) or ""
    assert "Source:" in doc, f"{name} does not cite its source"


def test_formulas_carry_their_numbers(vu9p):
    samples = [
        costs.adder(16, vu9p),
        costs.subtractor(16, vu9p),
        costs.comparator(16, vu9p),
        costs.mux(16, 4, vu9p),
        costs.register(16),
        costs.multiplier(16, 16, True, vu9p),
        costs.mac(16, 16, 40, vu9p),
        costs.memory(1024, 16, "bram", vu9p),
        costs.rom(64, 16, vu9p),
        costs.fifo(16, 8, vu9p),
        costs.float_op("add", vu9p),
        costs.control([8], 2, vu9p),
        costs.table_lookup(10, 1024, 18, vu9p),
    ]
    for cost in samples:
        assert isinstance(cost, Cost) and any(ch.isdigit() for ch in cost.formula), cost
