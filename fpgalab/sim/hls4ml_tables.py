"""hls4ml's function tables, entry for entry (``tables="hls4ml"``).

hls4ml 1.3.0 (``templates/vivado/nnet_utils/nnet_activation.h``) fills its tables at start-up in
float32 and indexes them differently from fpgalab's own tables (``fpgalab.sim.tables``):

- sigmoid (``init_sigmoid_table``): entry ``i`` is ``sigmoid(16 * (i - N/2) / N)``, the input's
  index ``trunc(x * N / 16) + N/2`` (an ``ap_fixed`` times an integer, divided by 16 and assigned
  to an ``int``: truncation toward zero), clamped to ``[0, N-1]``. tanh the same over ``[-4, 4)``.
- ELU (``init_elu_table``): entry ``i`` is ``exp(-8 i / N) - 1``, the index of a negative input
  ``trunc(x * N / -8)`` clamped to ``N-1``. Written here as a table over
  ``[-(N-1) step, step)`` indexed ``trunc(x / step) + N - 1``: the same entries read in
  reverse order.
- softmax, ``stable`` (hls4ml's default for io_parallel and io_stream): ``d = x_max - x`` held in
  ``inp_norm_t = ap_ufixed<W-1, I-1>`` indexes the exp table by its top ``log2(size)`` bits, entry
  ``i`` being ``exp(-i * step)``; the sum of the entries, in ``inv_inp_t``, indexes the 1/x table
  by its top bits, entry ``i`` being ``1 / (i * step)``. fpgalab computes ``exp(-d)``, so the exp
  table is the mirrored table of ELU's kind; the sum is never negative, so the 1/x table is one
  over ``[0, size * step)`` indexed by the floor (the top bits of a non-negative value).

Each entry is computed as hls4ml's C++ computes it in float32 (``expf``, ``tanhf`` of the C
library when it can be loaded, else float64 rounded to float32), stored in ``table_t``
(``TableSpec.word``) and then converted to the operation's type.
"""

from __future__ import annotations

import math

from fpgalab.ir.types import FixedType
from fpgalab.sim.tables import TableSpec

ACTIVATION_TABLE_SIZE = 1024  # hls4ml's table_size default (FPGABackend.__init__)
TABLE_T = FixedType(18, 8)  # hls4ml's table_t default, ap_fixed<18,8> (AP_TRN, AP_WRAP)
SOFTMAX_TABLE_T = FixedType(18, 8, True, "AP_RND", "AP_SAT")  # exp_table_t, inv_table_t, inv_inp_t, accum_t


def activation_tables(size: int = ACTIVATION_TABLE_SIZE, word: FixedType = TABLE_T) -> dict:
    """hls4ml's sigmoid, tanh and ELU tables as ``TableSpec``s (``table_size``, ``table_t``)."""
    step_elu = 8.0 / size
    return {
        "sigmoid": TableSpec("sigmoid", size, -8.0, 8.0, "hls4ml", word),
        "tanh": TableSpec("tanh", size, -4.0, 4.0, "hls4ml", word),
        "expm1": TableSpec("expm1", size, -(size - 1) * step_elu, step_elu, "hls4ml", word),
    }


def softmax_tables(input_type: FixedType, table_size: int = ACTIVATION_TABLE_SIZE, word: FixedType = SOFTMAX_TABLE_T):
    """hls4ml's ``stable`` softmax tables for a softmax over ``input_type`` values: (exp, reciprocal).

    Sizes as hls4ml sets them: ``FixSoftmaxTableSize`` lowers table_size to ``2**min(input width,
    inv_table_t width)``; the stable exp table is at most ``2**(W-1)`` entries (``inp_norm_t`` has
    ``W-1`` bits). The exp table reads ``inp_norm_t = ap_ufixed<W-1, I-1>`` (signed input), the
    reciprocal table ``inv_inp_t`` (``word``).
    """
    exp_size, size = softmax_table_sizes(input_type.width, input_type.signed, table_size, word.width)
    norm_integer = input_type.integer - int(input_type.signed)
    exp_step = 2.0 ** (norm_integer - int(math.log2(exp_size)))
    inv_step = 2.0 ** (word.integer - int(math.log2(size)))
    return (
        TableSpec("exp", exp_size, -(exp_size - 1) * exp_step, exp_step, "hls4ml", word),
        TableSpec("reciprocal", size, 0.0, size * inv_step, "hls4ml", word),
    )


def softmax_table_sizes(width: int, signed: bool = True, table_size: int = ACTIVATION_TABLE_SIZE, word_width: int = 18):
    """(exp entries, 1/x entries) of hls4ml's stable softmax over ``width``-bit inputs: ``FixSoftmaxTableSize``
    caps table_size at ``2**min(width, word_width)``, the exp table at ``2**(width-1)`` for a signed input."""
    size = min(table_size, 2 ** min(width, word_width))
    return (min(size, 2 ** (width - 1)) if signed else size), size


def norm_type(input_type: FixedType) -> FixedType:
    """hls4ml's ``inp_norm_t`` of a stable softmax: ``ap_ufixed<W-s, I-s>`` (s = 1 for a signed input)."""
    s = int(input_type.signed)
    return FixedType(input_type.width - s, input_type.integer - s, False)
