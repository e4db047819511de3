"""fpgalab: see the FPGA accelerator a TensorFlow function or Keras model would become.

    import fpgalab
    design = fpgalab.compile(fn, example_input, precision="ap_fixed<16,6>")
    design.simulate(x)        # bit-accurate hardware outputs
    design.accuracy(x, y)     # against TensorFlow float

Importing fpgalab does not import TensorFlow; ``compile`` does, when it captures.
"""

from .design import Design, compile  # noqa: A004
from .explore import explore
from .parts import list_devices as devices
from .errors import CompileError
from .kernel import kernel

__all__ = ["CompileError", "Design", "compile", "devices", "explore", "kernel", "load_ipython_extension",
           "unload_ipython_extension"]
__version__ = "0.1.0"


def load_ipython_extension(ipython):  # %load_ext fpgalab
    from .magics import load_ipython_extension as load  # noqa: PLC0415

    load(ipython)


def unload_ipython_extension(ipython):  # %unload_ext fpgalab: closes the side panel's comm
    from .magics import unload_ipython_extension as unload  # noqa: PLC0415

    unload(ipython)
