"""The independent oracle: the real ``ap_fixed.h`` (from .cache/ap_types) compiled with g++.

A small C++ program is generated for a fixed set of target types (every quantization x overflow
mode, signed and unsigned, widths 1..32, negative integer bits, I > W, and a few internal widths
up to 62), compiled once (cached in the temp dir, keyed by source hash) and fed a batch of cases
on stdin, one per line: ``<op> <type index> <args>``; it prints one mantissa (or one table) per
line. The Python side computes the same with ``fpgalab.sim.fixed`` / ``fpgalab.sim.tables``; the
two must agree bit for bit. Ops: q (assign m * 2**-f), d / f (construct from double / float
bits), p (assign w * x), a (acc += w * x, repeated), l (table lookup), t (whole table).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpgalab.ir.types import MAX_FIXED_WIDTH, OVERFLOW_MODES, QUANT_MODES, FixedType
from fpgalab.sim import tables
from fpgalab.sim.fixed import add, from_float, mul, quantize

pytestmark = pytest.mark.tools

AP_TYPES = Path(__file__).resolve().parents[2] / ".cache" / "ap_types"
SHAPES = [
    (1, 1),
    (2, 0),
    (3, 5),
    (8, 3),
    (16, 6),
    (18, -2),
    (24, 12),
    (32, 16),
    (5, 9),
    (12, -3),
    (31, 1),
    (32, 33),
    (6, 6),
    (9, -7),
    (32, -3),
]


def _oracle_types() -> list[FixedType]:
    """One target type per quantization x overflow x signedness, cycling through SHAPES."""
    types = []
    for signed in (True, False):
        for quant in QUANT_MODES:
            for overflow in OVERFLOW_MODES:
                w, integer = SHAPES[len(types) % len(SHAPES)]
                if signed and w == 1 and overflow == "AP_SAT_SYM":  # needs 2 bits
                    w, integer = 2, 1
                types.append(FixedType(w, integer, signed, quant, overflow))
    # internal (full-precision intermediate) widths up to MAX_INTERNAL_WIDTH
    return types + [
        FixedType(48, 20, True, "AP_RND_CONV", "AP_SAT"),
        FixedType(62, 30, False, "AP_RND", "AP_WRAP"),
        FixedType(62, 2, True, "AP_TRN_ZERO", "AP_SAT_SYM"),
        FixedType(40, -5, True, "AP_RND_INF", "AP_SAT_ZERO"),
    ]


TYPES = _oracle_types()
# Operand types (w, x) of products: type i gets w*x and acc += w*x with pair i % 3 (instantiating
# every pair for every type would triple the compile time).
PAIRS = [
    (FixedType(8, 3), FixedType(10, 2)),
    (FixedType(7, 2, False), FixedType(9, 5)),
    (FixedType(16, -2), FixedType(12, 12)),
]
TABLE_NAMES = list(tables.DEFAULT_TABLES)


def _pair(type_index: int) -> tuple[FixedType, FixedType]:
    return PAIRS[type_index % len(PAIRS)]


# Shared by every translation unit: helpers and the per-type template `run`.
CPP_PRELUDE = r"""
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include "ap_fixed.h"

typedef ap_fixed<192, 96> Src;  // holds m * 2**-f exactly for |m| < 2**62 and -33 <= f <= 96
typedef void (*Runner)(char, std::istringstream&);

static Src source(long long m, int f) {
  ap_int<192> bits = m;
  bits <<= (96 - f);
  Src s;
  s.range(191, 0) = bits;
  return s;
}

template <class T> long long mantissa(const T& v, bool is_signed) {
  unsigned long long u = v.range(T::width - 1, 0).to_uint64();
  long long m = (long long)u;
  if (is_signed && ((u >> (T::width - 1)) & 1)) m -= (long long)(1ULL << (T::width - 1)) * 2;
  return m;
}

template <class T> T from_mantissa(long long m) { T v; v.setBits((unsigned long long)m); return v; }

static double exp_(double x) { return std::exp(x); }
static double tanh_(double x) { return std::tanh(x); }
static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
static double reciprocal(double x) { return 1.0 / x; }
static double rsqrt(double x) { return 1.0 / std::sqrt(x); }
static double sqrt_(double x) { return std::sqrt(x); }
struct Table { double lo, hi; int size; double (*f)(double); };
static const Table TABLES[] = {
$TABLES};

// Default tables have a power-of-two step 2**-k: the index is floor((x - lo) * 2**k), clamped.
static long long table_bin(const Table& tb, long long m, int f) {
  Src d = source(m, f) - Src(tb.lo);
  int k = std::ilogb(tb.size / (tb.hi - tb.lo));
  if (k >= 0) d <<= k; else d >>= -k;
  ap_int<96> whole = d.range(191, 96);  // floor of d
  return whole < 0 ? 0 : whole >= tb.size ? tb.size - 1 : whole.to_int64();
}

template <class T> long long table_entry(const Table& tb, long long i, bool s) {
  double step = (tb.hi - tb.lo) / tb.size;
  T v = tb.f(tb.lo + (i + 0.5) * step);
  return mantissa(v, s);
}

// acc += w * x over n mantissa pairs, starting from mantissa acc0.
template <class T, class W, class X> T accumulate(std::istringstream& in) {
  long long acc0, a, b;
  int n;
  in >> acc0 >> n;
  T acc = from_mantissa<T>(acc0);
  for (int j = 0; j < n; j++) {
    in >> a >> b;
    acc += from_mantissa<W>(a) * from_mantissa<X>(b);
  }
  return acc;
}

// Every operation for target type T (signed S), with products of operand types W and X.
template <class T, bool S, class W, class X> void run(char op, std::istringstream& in) {
  long long m, a, b;
  unsigned long long bits;
  int f, k;
  switch (op) {
    case 'q': { in >> m >> f; T r = source(m, f); std::printf("%lld\n", mantissa(r, S)); break; }
    case 'd': { double d; in >> std::hex >> bits; std::memcpy(&d, &bits, 8);
                T r = d; std::printf("%lld\n", mantissa(r, S)); break; }
    case 'f': { float x; unsigned int b32; in >> std::hex >> b32; std::memcpy(&x, &b32, 4);
                T r = x; std::printf("%lld\n", mantissa(r, S)); break; }
    case 'p': { in >> a >> b; T r = from_mantissa<W>(a) * from_mantissa<X>(b);
                std::printf("%lld\n", mantissa(r, S)); break; }
    case 'a': { std::printf("%lld\n", mantissa(accumulate<T, W, X>(in), S)); break; }
    case 'l': { in >> k >> m >> f;
                std::printf("%lld\n", table_entry<T>(TABLES[k], table_bin(TABLES[k], m, f), S)); break; }
    case 't': { in >> k;
                for (int i = 0; i < TABLES[k].size; i++) std::printf("%lld ", table_entry<T>(TABLES[k], i, S));
                std::printf("\n"); break; }
    default: std::printf("bad op %c\n", op);
  }
}
"""

# One translation unit per slice of TYPES (compiled in parallel), then main.
CPP_PART = (
    CPP_PRELUDE
    + """
extern const Runner PART_$K[] = {
$RUNNERS};
"""
)

CPP_MAIN = r"""
#include <iostream>
#include <sstream>
#include <string>
typedef void (*Runner)(char, std::istringstream&);
$DECLS
const Runner* const PARTS[] = {$PARTS};

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    char op;
    int t;
    in >> op >> t;
    PARTS[t / $PER_PART][t % $PER_PART](op, in);
  }
  return 0;
}
"""


def _cpp_type(t: FixedType) -> str:
    return f"ap_{'' if t.signed else 'u'}fixed<{t.width}, {t.integer}, {t.quant}, {t.overflow}>"


def _cpp_sources(parts: int) -> dict[str, str]:
    """File name -> C++ source: ``part<k>.cpp`` for each slice of TYPES and ``main.cpp``."""
    cpp_fn = {"exp": "exp_", "tanh": "tanh_", "sqrt": "sqrt_"}
    rows = "".join(
        f"  {{{s.lo!r}, {s.hi!r}, {s.size}, {cpp_fn.get(name, name)}}},\n" for name, s in tables.DEFAULT_TABLES.items()
    )
    per_part = -(-len(TYPES) // parts)
    files = {}
    for k in range(parts):
        runners = "".join(
            f"  run<{_cpp_type(t)}, {str(t.signed).lower()}, {_cpp_type(_pair(i)[0])}, {_cpp_type(_pair(i)[1])} >,\n"
            for i, t in enumerate(TYPES)
            if i // per_part == k
        )
        files[f"part{k}.cpp"] = CPP_PART.replace("$TABLES", rows).replace("$K", str(k)).replace("$RUNNERS", runners)
    files["main.cpp"] = (
        CPP_MAIN.replace("$DECLS", "".join(f"extern const Runner PART_{k}[];\n" for k in range(parts)))
        .replace("$PARTS", ", ".join(f"PART_{k}" for k in range(parts)))
        .replace("$PER_PART", str(per_part))
    )
    return files


def _compile(gxx: str, files: dict[str, str], cache: Path) -> Path:
    """Compile the translation units in parallel with -O1 and link ``cache/oracle``.

    Each session builds in its own temporary folder and renames the binary into place, so
    concurrent sessions never see a half-written file.
    """
    cache.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(dir=cache))
    procs = []
    for name, text in files.items():
        (build / name).write_text(text)
        cmd = [gxx, "-O1", "-std=c++14", "-w", f"-I{AP_TYPES}", "-c", str(build / name), "-o", str(build / f"{name}.o")]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode == 0, f"compiling the ap_fixed oracle failed:\n{err[-5000:]}"
    subprocess.run([gxx, *(str(build / f"{name}.o") for name in files), "-o", str(build / "oracle")], check=True)
    os.replace(build / "oracle", cache / "oracle")
    shutil.rmtree(build, ignore_errors=True)
    return cache / "oracle"


@pytest.fixture(scope="session")
def oracle():
    """A function running a batch of case lines through the compiled program; returns its output lines."""
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ is not installed")
    if not (AP_TYPES / "ap_fixed.h").is_file():
        pytest.fail(f"{AP_TYPES}/ap_fixed.h is missing: run `python scripts/fetch_ap_types.py .cache/ap_types`")
    files = _cpp_sources(parts=max(1, min(4, os.cpu_count() or 1)))
    digest = hashlib.sha256(repr(sorted(files.items())).encode())
    digest.update((AP_TYPES / "ap_fixed_base.h").read_bytes())
    cache = Path(tempfile.gettempdir()) / f"fpgalab-ap-oracle-{digest.hexdigest()[:16]}"
    binary = cache / "oracle" if (cache / "oracle").is_file() else _compile(gxx, files, cache)

    def run(lines: list[str]) -> list[str]:
        proc = subprocess.run([str(binary)], input="\n".join(lines) + "\n", capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-2000:]
        out = proc.stdout.splitlines()
        assert len(out) == len(lines), (len(out), len(lines))
        return out

    return run


# --------------------------------------------------------------------------- cases and expectations


def _double_bits(x: float) -> str:
    return f"{struct.unpack('<Q', struct.pack('<d', x))[0]:x}"


def _float_bits(x: float) -> str:
    return f"{struct.unpack('<I', struct.pack('<f', x))[0]:x}"


def _expected(case: str) -> str:
    op, tid, *args = case.split()
    t = TYPES[int(tid)]
    if op == "q":
        return str(int(quantize(int(args[0]), int(args[1]), t)))
    if op == "d":
        return str(int(from_float(np.array([int(args[0], 16)], dtype=np.uint64).view(np.float64)[0], t)))
    if op == "f":
        return str(int(from_float(np.array([int(args[0], 16)], dtype=np.uint32).view(np.float32)[0], t)))
    if op == "p":
        w, x = _pair(int(tid))
        return str(int(quantize(*mul(int(args[0]), w.frac, int(args[1]), x.frac), t)))
    if op == "a":
        w, x = _pair(int(tid))
        acc, n, rest = int(args[0]), int(args[1]), [int(v) for v in args[2:]]
        for a, b in zip(rest[0 : 2 * n : 2], rest[1 : 2 * n : 2]):
            acc = int(quantize(*add(acc, t.frac, *mul(a, w.frac, b, x.frac)), t))
        return str(acc)
    spec = tables.DEFAULT_TABLES[TABLE_NAMES[int(args[0])]]
    if op == "l":
        return str(int(tables.lookup(int(args[1]), int(args[2]), spec, t)))
    return " ".join(str(v) for v in tables.table_mantissas(spec, t)) + " "


def _check(oracle, cases: list[str]) -> None:
    got = oracle(cases)
    bad = [(c, g, e) for c, g in zip(cases, got) if g != (e := _expected(c))]
    assert not bad, f"{len(bad)} of {len(cases)} cases disagree with ap_fixed.h; first: " + "; ".join(
        f"[{c}] ap_fixed={g[:60]} python={e[:60]}" for c, g, e in bad[:5]
    )


def _random_mantissa(rng: random.Random, t: FixedType) -> int:
    return rng.randint(t.min_int, t.max_int)


def _into(t: FixedType, u: int) -> int:
    """Any integer folded into t's mantissa range."""
    return t.min_int + (u - t.min_int) % (t.max_int - t.min_int + 1)


def _random_value(rng: random.Random, t: FixedType) -> tuple[int, int]:
    """A mantissa/frac pair near t's range (some far outside, some far below its LSB)."""
    f = max(-33, min(96, t.frac + rng.choice([rng.randint(-4, 6), rng.randint(-30, 70)])))
    bits = rng.randint(0, 61)
    return rng.randint(-(1 << bits), (1 << bits) - 1), f


def _edge_cases(tid: int, t: FixedType) -> list[str]:
    f = t.frac
    cases = []
    for m, fr in [
        (t.max_int, f),
        (t.min_int, f),
        (t.max_int + 1, f),
        (t.min_int - 1, f),
        (2 * t.max_int + 1, f + 1),
        (2 * t.min_int - 1, f + 1),
        (2 * t.min_int + 1, f + 1),
        (1, f + 1),
        (-1, f + 1),
        (3, f + 1),
        (-3, f + 1),
        (-5, f + 1),
        (5, f + 1),
        (0, f),
        (1, f + 40),
        (-1, f + 40),
        (1 << 61, -33),
        (-(1 << 61), -33),
        (1, -33),
        (-1, -33),
    ]:
        if -33 <= fr <= 96 and abs(m) < 1 << 62:
            cases.append(f"q {tid} {m} {fr}")
    for drop in (61, 62, 63, 64, 70):  # large mantissas shifted far below the LSB: ties and near-ties
        for m in (1 << 61, -(1 << 61), (1 << 61) + 1, -(1 << 61) - 1, 3 << 59, -(3 << 59), (1 << 62) - 1):
            if f + drop <= 96:
                cases.append(f"q {tid} {m} {f + drop}")
    lsb = 2.0**-f
    doubles = [
        t.max_value,
        t.min_value,
        t.max_value + lsb / 2,
        t.min_value - lsb / 2,
        t.max_value + lsb,
        t.min_value - lsb,
        lsb / 2,
        -lsb / 2,
        1.5 * lsb,
        -1.5 * lsb,
        -2.5 * lsb,
        1e30,
        -1e30,
        3e300,
        float("inf"),
        float("-inf"),
        float("nan"),
        -float("nan"),
        5e-324,
        -5e-324,
        0.0,
        -0.0,
        2.0**1023,
        -(2.0**1023),
        1.7976931348623157e308,
    ]
    cases += [f"d {tid} {_double_bits(x)}" for x in doubles]
    cases += [f"d {tid} {b:x}" for b in (0x7FF0000000000001, 0xFFF8000000000123, 0x000FFFFFFFFFFFFF)]
    cases += [
        f"f {tid} {_float_bits(x)}"
        for x in (1e30, -1e30, float("inf"), float("nan"), t.max_value, t.min_value, 1e-45, -1e-45)
    ]
    return cases


def _random_cases(rng: random.Random, tid: int, t: FixedType, n: int) -> list[str]:
    cases = []
    for _ in range(n):
        m, f = _random_value(rng, t)
        cases.append(f"q {tid} {m} {f}")
        x = np.ldexp(float(rng.randint(-(1 << 53), 1 << 53)), -(t.frac + rng.randint(-10, 60)))
        cases.append(f"d {tid} {_double_bits(x)}")
        cases.append(f"d {tid} {rng.getrandbits(64):x}")
        cases.append(f"f {tid} {_float_bits(float(np.float32(x)))}")
        w, xt = _pair(tid)
        cases.append(f"p {tid} {_random_mantissa(rng, w)} {_random_mantissa(rng, xt)}")
        if t.width > MAX_FIXED_WIDTH:  # acc + w*x of a wide accumulator does not fit int64 (guarded)
            continue
        n = rng.randint(1, 6)
        steps = " ".join(f"{_random_mantissa(rng, w)} {_random_mantissa(rng, xt)}" for _ in range(n))
        cases.append(f"a {tid} {_random_mantissa(rng, t)} {n} {steps}")
    return cases


# --------------------------------------------------------------------------- tests


def test_edges_every_mode(oracle):
    cases = [c for tid, t in enumerate(TYPES) for c in _edge_cases(tid, t)]
    _check(oracle, cases)


def test_seeded_random_every_mode(oracle):
    rng = random.Random(1234)
    cases = [c for tid, t in enumerate(TYPES) for c in _random_cases(rng, tid, t, 40)]
    _check(oracle, cases)


def test_accumulate_saturating_sequences(oracle):
    """Long ``acc += w * x`` chains that hit the accumulator's limits and come back."""
    rng = random.Random(7)
    cases = []
    for tid, t in enumerate(TYPES):
        w, x = _pair(tid)
        for _ in range(4 if t.width <= MAX_FIXED_WIDTH else 0):
            extreme = rng.choice([x.min_int, x.max_int])  # drive the sum one way, with random detours
            pairs = [
                (w.max_int, extreme) if rng.random() < 0.8 else (_random_mantissa(rng, w), _random_mantissa(rng, x))
                for _ in range(20)
            ]
            steps = " ".join(f"{a} {b}" for a, b in pairs)
            cases.append(f"a {tid} 0 {len(pairs)} {steps}")
    _check(oracle, cases)


def test_tables_and_lookups(oracle):
    rng = random.Random(99)
    out_types = [i for i, t in enumerate(TYPES) if t.width >= 8][::4]
    cases = [f"t {tid} {k}" for tid in out_types for k in range(len(TABLE_NAMES))]
    for tid in out_types:
        for k, name in enumerate(TABLE_NAMES):
            spec = tables.DEFAULT_TABLES[name]
            for f in (0, 3, 7, 12, 20):
                edges = [int(v * 2**f) for v in (spec.lo, spec.hi, spec.lo + spec.step, spec.hi - spec.step)]
                ms = [e + d for e in edges for d in (-1, 0, 1)]
                ms += [rng.randint(int((spec.lo - 2) * 2**f), int((spec.hi + 2) * 2**f)) for _ in range(8)]
                cases += [f"l {tid} {k} {m} {f}" for m in ms]
    _check(oracle, cases)


_case = st.one_of(
    st.builds(
        lambda tid, m, df: f"q {tid} {m} {max(-33, min(96, TYPES[tid].frac + df))}",
        st.integers(0, len(TYPES) - 1),
        st.integers(-(2**61), 2**61),
        st.integers(-40, 70),
    ),
    st.builds(lambda tid, x: f"d {tid} {_double_bits(x)}", st.integers(0, len(TYPES) - 1), st.floats(width=64)),
    st.builds(lambda tid, x: f"f {tid} {_float_bits(x)}", st.integers(0, len(TYPES) - 1), st.floats(width=32)),
    st.builds(
        lambda tid, u, v: f"p {tid} {_into(_pair(tid)[0], u)} {_into(_pair(tid)[1], v)}",
        st.integers(0, len(TYPES) - 1),
        st.integers(-(2**16), 2**16),
        st.integers(-(2**16), 2**16),
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.lists(_case, min_size=1, max_size=200))
def test_hypothesis_batches(oracle, cases):
    _check(oracle, cases)
