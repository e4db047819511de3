"""fpgalab: see the FPGA accelerator a TensorFlow function or Keras model would become.

    import fpgalab
    design = fpgalab.compile(fn, example_input, precision="ap_fixed<16,6>")
    design.simulate(x)        # bit-accurate hardware outputs
    design.accuracy(x, y)     # against TensorFlow float

    fpgalab.synthesize(designs, workers=2)   # Yosys on many designs, on a Dask cluster (fpgalab.scale)
    fpgalab.verify(designs, executor=pool)   # the backends of many designs against the simulator

Importing fpgalab does not import TensorFlow; ``compile`` does, when it captures.
"""

import types

import fpgalab.verify as _verify_package
from fpgalab.cloud import deploy as _deploy
from fpgalab.design import Design
from fpgalab.errors import CompileError
from fpgalab.explore import explore
from fpgalab.frontends import compile  # noqa: A004
from fpgalab.kernel import kernel
from fpgalab.parts import list_devices as devices
from fpgalab.precision_search import search_precision
from fpgalab.scale import synthesize
from fpgalab.scale import verify as _verify_many
from fpgalab.sparsify import SparsityResult, sparsify
from fpgalab.version import __version__

# design.deploy(platform, batch=...): defined in fpgalab.cloud, which sits above fpgalab.design in the layers
Design.deploy = _deploy


class _VerifyPackage(types.ModuleType):
    """``fpgalab.verify`` is the package of the checks (``fpgalab.verify.verify_design``, ``.yosys``, ...)
    and, called, verifies many designs (``fpgalab.scale.verify``): both names stay reachable."""

    def __call__(self, designs, rtl=True, inputs=None, samples=2, executor=None, workers=None, progress=None):
        return _verify_many(designs, rtl, inputs, samples, executor, workers, progress)


_verify_package.__class__ = _VerifyPackage

__all__ = [
    "__version__",
    "CompileError",
    "Design",
    "compile",
    "devices",
    "explore",
    "kernel",
    "sparsify",
    "SparsityResult",
    "synthesize",
    "verify",
    "load_ipython_extension",
    "search_precision",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython):  # %load_ext fpgalab
    from fpgalab.magics import load_ipython_extension as load  # noqa: PLC0415

    load(ipython)


def unload_ipython_extension(ipython):  # %unload_ext fpgalab: closes the side panel's comm
    from fpgalab.magics import unload_ipython_extension as unload  # noqa: PLC0415

    unload(ipython)
