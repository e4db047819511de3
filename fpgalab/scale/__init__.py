"""Sweeps on many cores or machines: Yosys synthesis and verification of many designs, and ``explore``'s
per-point synthesis, run serially, on a ``concurrent.futures`` pool or on a Dask cluster.

``executor.run_points`` maps a function over points on the executor given (in order, a failed point
kept as its error, progress as points finish, Ctrl-C stopping the workers' work); ``sweeps`` holds
``synthesize`` and ``verify`` over many designs, which ship each design to the workers as its JSON.
docs/scale_out.md shows how to start a Dask scheduler and workers for them.
"""

from fpgalab.scale.cancel import Cancelled
from fpgalab.scale.executor import Outcome, SchedulerUnreachable, run_points
from fpgalab.scale.sweeps import Failed, synthesize, verify

__all__ = ["Cancelled", "Failed", "Outcome", "SchedulerUnreachable", "run_points", "synthesize", "verify"]
