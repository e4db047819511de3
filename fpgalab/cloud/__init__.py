"""Cloud FPGA deployment: a design on a whole card (host, PCIe, memory banks, compute units).

    deployment = design.deploy("aws-f1", batch=256)      # fpgalab.cloud.deploy
    deployment.report(); deployment.simulate(64)          # analytic model; event simulation
    deployment.emit("vitis", "out/jet_vitis")             # the Vitis export of this deployment
    print(deployment.compare(keras_model))                # TensorFlow on this CPU, published GPUs

Platforms are data (``fpgalab/cloud/platforms/*.json``, every number with its source). The Vitis
export (kernel, link configuration, XRT host, Makefile) is ``fpgalab.cloud.vitis.emit_vitis``; the power
model (``estimate_power``, ``deployment.power()``) is ``fpgalab.cloud.power``.
"""

from fpgalab.cloud.deploy import Deployment, deploy
from fpgalab.cloud.platform import Bank, PcieLink, Platform, list_platforms, load_platform
from fpgalab.cloud.power import PowerReport, estimate_power

__all__ = [
    "Bank",
    "Deployment",
    "PcieLink",
    "Platform",
    "PowerReport",
    "deploy",
    "estimate_power",
    "list_platforms",
    "load_platform",
]
