"""What a newcomer's first tries hit (issue 12, item 5): each gets a clear error or a warning, never a
silent wrong answer."""

from __future__ import annotations

import numpy as np
import pytest

import fpgalab
from fpgalab.errors import CompileError

pytestmark = pytest.mark.tf

X = np.zeros((1, 4), np.float32)


def test_a_function_without_computation_is_refused():
    with pytest.raises(CompileError, match="output 0 does not depend on the inputs"):
        fpgalab.compile(lambda t: 3.0, X)
    with pytest.raises(CompileError, match="returns its inputs unchanged"):
        fpgalab.compile(lambda t: t, X)


def test_nan_inputs_in_fixed_point_warn_and_labels_must_be_classes():
    import tensorflow as tf  # noqa: PLC0415

    design = fpgalab.compile(lambda t: tf.nn.softmax(t * 2.0), X)
    bad = np.array([[np.nan, 1.0, np.inf, 0.0]], np.float32)
    with pytest.warns(UserWarning, match="2 input value\\(s\\) are NaN or infinite"):
        design.simulate(bad)
    with pytest.raises(ValueError, match=r"labels must be class ids 0\.\.3"):
        design.accuracy(np.ones((3, 4), np.float32), y=np.array([0, 4, 1]))


def test_explore_refuses_invalid_points_before_running_any():
    with pytest.raises(ValueError, match=r"space point \{'parallelism': 0\}: parallelism must be a positive integer"):
        fpgalab.explore(lambda t: t * 2.0 + 1.0, X, space={"parallelism": [0, -1]})
    with pytest.raises(ValueError, match=r"space point \{'clock_mhz': 'fast'\}"):
        fpgalab.explore(lambda t: t * 2.0 + 1.0, X, space={"clock_mhz": [200, "fast"]})
