"""Index expressions of the layer programs: a read through a reshape names the same element as
the row-major offset does, with divisions only where a run of dimensions both splits and merges."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fpgalab.backends.program.index import IDiv, IMod, IVar, i_eval, reindex


@pytest.mark.parametrize(
    "shape,target",
    [
        ((1, 12, 10, 3), (1, 6, 2, 5, 2, 3)),  # a transposed convolution's interleave, read as the output
        ((1, 6, 2, 5, 2, 3), (1, 12, 10, 3)),
        ((1, 5, 5, 4), (1, 100)),  # a flatten
        ((6, 4), (4, 6)),  # a run that splits and merges
        ((3, 1, 4), (12,)),
        ((12,), (1, 12, 1)),
    ],
)
def test_reindex_names_the_element_the_row_major_offset_names(shape, target):
    names = [IVar(f"i{d}") for d in range(len(shape))]
    index = reindex(tuple(names), shape, target)
    assert len(index) == len(target)
    for point in itertools.product(*(range(n) for n in shape)):
        env = {f"i{d}": v for d, v in enumerate(point)}
        got = tuple(int(i_eval(ix, env)) for ix in index)
        assert got == np.unravel_index(np.ravel_multi_index(point, shape), target)


def test_a_split_dimension_divides_by_its_own_factor_only():
    index = reindex((IVar("i0"), IVar("i1"), IVar("i2")), (1, 12, 3), (1, 6, 2, 3))
    assert index[1:] == (IDiv(IVar("i1"), 2), IMod(IVar("i1"), 2), IVar("i2"))
