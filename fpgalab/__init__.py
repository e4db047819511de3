"""fpgalab: see the FPGA accelerator a TensorFlow function or Keras model would become.

    import fpgalab
    design = fpgalab.compile(fn, example_input, precision="ap_fixed<16,6>")
    design.simulate(x)        # bit-accurate hardware outputs
    design.accuracy(x, y)     # against TensorFlow float

    fpgalab.synthesize(designs, workers=2)   # Yosys on many designs, on a Dask cluster (fpgalab.scale)
    fpgalab.verify_designs(designs, executor=pool)  # the backends of many designs against the simulator

Importing fpgalab does not import TensorFlow; ``compile`` does, when it captures.
"""

from fpgalab.cloud import deploy as _deploy
from fpgalab.design import Design
from fpgalab.errors import CompileError
from fpgalab.explore import explore
from fpgalab.frontends import compile  # noqa: A004
from fpgalab.hls4ml import hls4ml_config as _hls4ml_config
from fpgalab.hls4ml import sparsified_config as _sparsified_config
from fpgalab.hls4ml import sparsified_project as _sparsified_project
from fpgalab.hls4ml import to_hls4ml as _to_hls4ml
from fpgalab.kernel import kernel
from fpgalab.multi import partition as _partition
from fpgalab.parts import list_devices as devices
from fpgalab.precision_search import search_precision
from fpgalab.scale import synthesize
from fpgalab.scale import verify as verify_designs
from fpgalab.sparsify import SparsityResult, sparsify
from fpgalab.version import __version__

# design.deploy(platform, batch=...): defined in fpgalab.cloud, which sits above fpgalab.design in the layers
Design.deploy = _deploy
# design.partition(devices, link=...): defined in fpgalab.multi, beside fpgalab.cloud in the layers
Design.partition = _partition
# design.hls4ml_config() / design.to_hls4ml(output_dir): fpgalab.hls4ml sits above fpgalab.design too
Design.hls4ml_config = _hls4ml_config
Design.to_hls4ml = _to_hls4ml
SparsityResult.hls4ml_config = _sparsified_config  # with the pruned Keras model as "model"
SparsityResult.to_hls4ml = _sparsified_project


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
    "verify_designs",
    "load_ipython_extension",
    "search_precision",
    "unload_ipython_extension",
]


def __getattr__(name):  # fpgalab.train loads on first use: it is above the design layers and needs TensorFlow
    if name == "train":
        import fpgalab.train as train  # noqa: PLC0415

        return train
    raise AttributeError(f"module 'fpgalab' has no attribute {name!r}")


def load_ipython_extension(ipython):  # %load_ext fpgalab
    from fpgalab.magics import load_ipython_extension as load  # noqa: PLC0415

    load(ipython)


def unload_ipython_extension(ipython):  # %unload_ext fpgalab: closes the side panel's comm
    from fpgalab.magics import unload_ipython_extension as unload  # noqa: PLC0415

    unload(ipython)
