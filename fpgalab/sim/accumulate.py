"""How a sum lands in a fixed-point accumulator: term by term, or at once where that is the same.

A hardware accumulator adds one term per step, ``acc = acc_type(acc + term)``. Adding them all at
once gives the same bits when no step rounds or overflows differently (``sum_is_exact``), or when
the accumulator wraps (arithmetic modulo 2^W) and rounds by floor (``wrapping_sum``: each term is
quantized on its own and the total wrapped once). Otherwise the steps are taken in order.
"""

from __future__ import annotations

import numpy as np

from fpgalab.ir.types import FixedType
from fpgalab.sim import fixed
from fpgalab.sim.fixed import max_abs


def accumulate_sequential(acc: np.ndarray, terms, acc_type: FixedType) -> np.ndarray:
    """``for term in terms: acc = acc_type(acc + term)`` with exact terms given as (mantissa, frac)."""
    for mant, frac in terms:
        total, total_frac = fixed.add(acc, acc_type.frac, mant, frac)
        acc = fixed.quantize(total, total_frac, acc_type)
    return acc


def sum_is_exact(acc_type: FixedType, product_frac: int, start_abs: int, terms_abs: int) -> bool:
    """True when adding the terms at once equals adding them one by one into ``acc_type``.

    Needs every term representable in the accumulator without rounding (enough fraction bits),
    and either wrap-around overflow (modular, so order-free) or no partial sum outside the
    accumulator's range: ``start_abs`` (accumulator units) + ``terms_abs`` (sum of |term| in
    units of 2**-product_frac) bounds every partial sum.
    """
    if acc_type.frac < product_frac:
        return False
    if acc_type.overflow == "AP_WRAP":
        return True
    bound = start_abs + (terms_abs << (acc_type.frac - product_frac))
    return bound <= min(-acc_type.min_int, acc_type.max_int)


SHIFT_INVARIANT = ("AP_TRN", "AP_RND")  # floor-based: quantizing acc + p is acc + quantizing p
SUM_BLOCK = 16  # reduction terms formed at once by wrapped_sum (bounds its working array; fastest of 4-32 here)


def wrapping_sum(acc_type: FixedType, product_frac: int, product_abs: int, terms: int) -> bool:
    """True when ``acc = acc_type(acc + p)`` over the terms can be formed as one sum (``wrapped_sum``):
    a wrap-around accumulator (arithmetic modulo 2^W, so order-free) whose quantization is floor-based
    (AP_TRN, AP_RND: for an ``acc`` on the accumulator's grid, ``q(acc + p) = acc + q(p)``), with the
    products and their sum inside int64."""
    if acc_type.overflow != "AP_WRAP" or acc_type.quant not in SHIFT_INVARIANT or acc_type.frac >= product_frac:
        return False
    return product_abs * max(1, terms) < (1 << 62)


def wrapped_sum(acc4: np.ndarray, l4: np.ndarray, r4: np.ndarray, product_frac: int, acc_type: FixedType):
    """Hls4ml's narrow accumulator at full speed: each product quantized to the accumulator's grid
    (an arithmetic shift, plus half an LSB for AP_RND), all of them summed in int64 with the start,
    and the total wrapped once into ``acc_type``: bit for bit what adding them one by one gives."""
    shift = product_frac - acc_type.frac
    half = (1 << (shift - 1)) if acc_type.quant == "AP_RND" else 0
    total = acc4.astype(np.int64, copy=True)
    largest = max_abs(l4) * max_abs(r4) + half
    narrow = largest < (1 << 31)  # products in int32: half the memory traffic
    kind = np.int32 if narrow else np.int64
    # a block's quantized products also sum in int32 when they cannot leave it
    block_sum = np.int32 if narrow and ((largest >> shift) + 1) * SUM_BLOCK < (1 << 31) else np.int64
    l4, r4 = l4.astype(kind, copy=False), r4.astype(kind, copy=False)
    for k in range(0, l4.shape[3], SUM_BLOCK):
        products = l4[..., k : k + SUM_BLOCK, None] * r4[:, :, None, k : k + SUM_BLOCK, :]
        if half:
            products += half
        products >>= shift
        total += products.sum(axis=3, dtype=block_sum)
    return fixed.quantize(total, acc_type.frac, acc_type)


def sample_matmul(lhs4, rhs4, exact: bool):
    """(S|1,B,M,K) @ (S|1,B,K,N) -> (S,B,M,N); an operand shared by all samples is one big product
    (a left one through the transposed product, as a constant weight tensor before a run-time one)."""
    if lhs4.shape[0] == 1 < rhs4.shape[0]:
        return np.swapaxes(sample_matmul(np.swapaxes(rhs4, 2, 3), np.swapaxes(lhs4, 2, 3), exact), 2, 3)
    samples, batch, m, k = lhs4.shape
    product = fixed.exact_matmul if exact else np.matmul
    if rhs4.shape[0] == 1:
        folded = np.transpose(lhs4, (1, 0, 2, 3)).reshape(batch, samples * m, k)
        out = np.stack([product(folded[b], rhs4[0, b]) for b in range(batch)])
        return np.transpose(out.reshape(batch, samples, m, -1), (1, 0, 2, 3))
    return product(lhs4, rhs4)
